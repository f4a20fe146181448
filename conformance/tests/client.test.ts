/**
 * Integration test: the real TypeScript client (@durable-streams/client, pinned
 * in package.json) against the server at TRIBUTARY_URL, using streams under
 * `${TRIBUTARY_URL}/v1/stream/<unique name>`.
 *
 * Every test asserts on real content read back through the client, and every
 * wait is bounded (waitFor throws with the client's request log on timeout),
 * so a server that drops, duplicates, reorders or never delivers data fails.
 *
 * Client facts these tests rely on (client 0.2.7):
 *  - stream() always starts with a plain catch-up GET (no `live`); it switches
 *    to `live=long-poll` / `live=sse` only after a response carried
 *    `Stream-Up-To-Date`.
 *  - live:"sse" silently falls back to long-poll after 3 SSE connections that
 *    lasted < 1 s, so the SSE tests check the request log for a real
 *    `text/event-stream` response and for the absence of long-poll requests.
 *  - The client retries 5xx / 429 / network errors with backoff; the handles
 *    here cap that at a few retries so a broken server fails fast.
 */
import { afterEach, describe, expect, test } from "vitest"
import {
  DurableStream,
  IdempotentProducer,
  stream,
  type LiveMode,
  type StreamResponse,
} from "@durable-streams/client"

const rawUrl = process.env.TRIBUTARY_URL
if (!rawUrl) {
  throw new Error(
    "TRIBUTARY_URL is not set. Use conformance/run.sh, or set TRIBUTARY_URL=http://host:port"
  )
}
const BASE = rawUrl.replace(/\/+$/, "")

/** Per-test timeout; live tests wait for a few long-poll cycles. */
const T = 30_000
/** Bound for "this should arrive" waits. */
const WAIT_MS = 10_000
/** Pause before appending to a live reader: longer than the 500 ms long-poll
 *  timeout run.sh configures, so at least one empty long-poll cycle happens. */
const IDLE_MS = 1_200

const backoffOptions = { initialDelay: 100, maxDelay: 1_000, multiplier: 1.5, maxRetries: 3 }
// With TRIBUTARY_TOKEN (run.sh's secure mode) every client call sends it through the client's own
// headers option, as an application would.
const auth = process.env.TRIBUTARY_TOKEN
  ? { headers: { Authorization: `Bearer ${process.env.TRIBUTARY_TOKEN}` } }
  : {}

let counter = 0
function newStreamUrl(kind: string): string {
  counter += 1
  const rand = Math.random().toString(36).slice(2, 8)
  return `${BASE}/v1/stream/client-${kind}-${Date.now()}-${process.pid}-${counter}-${rand}`
}

// ---------------------------------------------------------------------------
// Request log: every request the client makes, with what came back.
// ---------------------------------------------------------------------------

interface LoggedRequest {
  method: string
  url: string
  status?: number
  contentType?: string | null
  sseEncoding?: string | null
  error?: string
}

class RequestLog {
  readonly entries: LoggedRequest[] = []

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url =
      typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    const entry: LoggedRequest = {
      method: init?.method ?? (input instanceof Request ? input.method : "GET"),
      url,
    }
    this.entries.push(entry)
    try {
      const res = await globalThis.fetch(input, init)
      entry.status = res.status
      entry.contentType = res.headers.get("content-type")
      entry.sseEncoding = res.headers.get("stream-sse-data-encoding")
      return res
    } catch (err) {
      entry.error = String(err)
      throw err
    }
  }

  gets(live?: string): LoggedRequest[] {
    return this.entries.filter((e) => {
      if (e.method !== "GET") return false
      const l = new URL(e.url).searchParams.get("live")
      return live === undefined ? true : l === live
    })
  }

  toString(): string {
    return this.entries
      .map((e) => {
        const u = new URL(e.url)
        return `  ${e.method} ${u.pathname}${u.search} -> ${e.status ?? e.error ?? "pending"}${
          e.contentType ? ` (${e.contentType})` : ""
        }`
      })
      .join("\n")
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

async function waitFor(
  cond: () => boolean,
  what: () => string,
  opts: { timeoutMs?: number; failIf?: () => unknown } = {}
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? WAIT_MS)
  for (;;) {
    const failure = opts.failIf?.()
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure))
    if (cond()) return
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs ?? WAIT_MS} ms waiting for ${what()}`)
    }
    await sleep(20)
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function expectBytesEqual(actual: Uint8Array, expected: Uint8Array) {
  expect(actual.length).toBe(expected.length)
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  if (!a.equals(b)) {
    let i = 0
    while (i < a.length && a[i] === b[i]) i++
    throw new Error(`bytes differ at index ${i}: got ${a[i]}, expected ${b[i]}`)
  }
}

/** Live readers opened by a test; cancelled after each test. */
const openReaders: Array<{ res?: StreamResponse<any>; ac: AbortController }> = []

afterEach(() => {
  for (const r of openReaders.splice(0)) {
    try {
      r.res?.cancel()
    } catch {
      /* ignore */
    }
    r.ac.abort()
  }
})

interface LiveTail<T> {
  res: StreamResponse<any>
  log: RequestLog
  items: T[]
  batches: Array<{ count: number; offset: string; upToDate: boolean; streamClosed: boolean }>
  ended: () => boolean
  error: () => unknown
}

async function openTail<T>(
  url: string,
  live: LiveMode,
  kind: "json" | "bytes" | "text",
  offset?: string
): Promise<LiveTail<T>> {
  const log = new RequestLog()
  const ac = new AbortController()
  const holder: { res?: StreamResponse<any>; ac: AbortController } = { ac }
  openReaders.push(holder)
  const res = await stream({
    url,
    live,
    offset,
    signal: ac.signal,
    fetch: log.fetch,
    backoffOptions,
    ...auth,
  })
  holder.res = res
  const items: any[] = []
  const batches: LiveTail<T>["batches"] = []
  let ended = false
  let error: unknown
  res.closed.then(
    () => (ended = true),
    (e) => {
      ended = true
      error = e ?? new Error("stream errored")
    }
  )
  const meta = (count: number, m: { offset: string; upToDate: boolean; streamClosed: boolean }) =>
    batches.push({ count, offset: m.offset, upToDate: m.upToDate, streamClosed: m.streamClosed })
  if (kind === "json") {
    res.subscribeJson((b) => {
      items.push(...b.items)
      meta(b.items.length, b)
    })
  } else if (kind === "bytes") {
    res.subscribeBytes((c) => {
      if (c.data.length > 0) items.push(new Uint8Array(c.data))
      meta(c.data.length, c)
    })
  } else {
    res.subscribeText((c) => {
      if (c.text.length > 0) items.push(c.text)
      meta(c.text.length, c)
    })
  }
  return { res, log, items, batches, ended: () => ended, error: () => error }
}

function newHandle(url: string, contentType: string, log = new RequestLog()) {
  return { log, opts: { url, contentType, fetch: log.fetch, backoffOptions, ...auth } }
}

function expectLiveMode(tail: LiveTail<unknown>, mode: "sse" | "long-poll") {
  const ctx = `client requests:\n${tail.log}`
  if (mode === "sse") {
    const sse = tail.log.gets("sse")
    expect(sse.length, `expected a live=sse request; ${ctx}`).toBeGreaterThan(0)
    expect(
      sse.some((e) => e.status === 200 && /^text\/event-stream/i.test(e.contentType ?? "")),
      `expected a 200 text/event-stream SSE response; ${ctx}`
    ).toBe(true)
    expect(
      tail.log.gets("long-poll").length,
      `client fell back from SSE to long-poll (SSE connections closing too fast?); ${ctx}`
    ).toBe(0)
  } else {
    const lp = tail.log.gets("long-poll")
    expect(lp.length, `expected live=long-poll requests; ${ctx}`).toBeGreaterThan(0)
    expect(tail.log.gets("sse").length, ctx).toBe(0)
  }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe(`@durable-streams/client against ${BASE}`, () => {
  describe("create / append / catch-up", () => {
    test(
      "JSON stream: appends (sequential and batched) read back in order",
      async () => {
        const url = newStreamUrl("json")
        const { log, opts } = newHandle(url, "application/json")
        const handle = await DurableStream.create(opts)

        const head0 = await handle.head()
        expect(head0.exists).toBe(true)
        if (!head0.exists) return
        expect(head0.contentType).toMatch(/^application\/json/i)
        expect(head0.streamClosed).toBe(false)
        expect(head0.offset).toBeTruthy()

        const msgs: unknown[] = [
          { id: 1, text: "hello" },
          { id: 2, text: "ünïcödé ✓ 🚀", nested: { a: [1, 2, 3], b: null, c: true } },
          { id: 3, text: "line1\nline2\r\nline3", quote: '"', backslash: "\\" },
        ]
        const offsets: string[] = [head0.offset!]
        for (const m of msgs) {
          await handle.append(JSON.stringify(m))
          const h = await handle.head()
          if (!h.exists) throw new Error("stream vanished")
          offsets.push(h.offset!)
        }
        // Offsets are opaque but must strictly increase (lexicographically).
        for (let i = 1; i < offsets.length; i++) {
          expect(offsets[i]! > offsets[i - 1]!, `offset ${offsets[i]} > ${offsets[i - 1]}`).toBe(true)
        }

        // Fired together: the client batches these into one POST of a JSON array.
        const batched = [{ id: 4 }, { id: 5, arr: [1, [2, 3]] }, { id: 6, s: "" }]
        await Promise.all(batched.map((m) => handle.append(JSON.stringify(m))))
        msgs.push(...batched)

        const res = await stream({ url, live: false, fetch: log.fetch, backoffOptions, ...auth })
        const items = await res.json()
        expect(items).toEqual(msgs)
        expect(res.upToDate).toBe(true)
        expect(res.streamClosed).toBe(false)
        const tail = await handle.head()
        if (!tail.exists) throw new Error("stream vanished")
        expect(res.offset).toBe(tail.offset)

        // Resume from the offset after message 3: exactly messages 4..6.
        const resumed = await stream({ url, offset: offsets[3], live: false, backoffOptions, ...auth })
        expect(await resumed.json()).toEqual(batched)

        // Reading at the tail returns nothing.
        const atTail = await stream({ url, offset: res.offset, live: false, backoffOptions, ...auth })
        expect(await atTail.json()).toEqual([])
        expect(atTail.upToDate).toBe(true)
      },
      T
    )

    test(
      "text stream: initial body + appends, catch-up and resume from an offset",
      async () => {
        const url = newStreamUrl("text")
        const { opts } = newHandle(url, "text/plain")
        const handle = await DurableStream.create({ ...opts, body: "first;" })
        const h = await handle.head()
        if (!h.exists) throw new Error("stream missing after create")
        expect(h.contentType).toMatch(/^text\/plain/i)

        await handle.append("second;")
        const mid = await handle.head()
        if (!mid.exists) throw new Error("stream vanished")
        await handle.append("third\n")
        await handle.append("fourth ✓ 漢字")

        const all = await (await stream({ url, live: false, backoffOptions, ...auth })).text()
        expect(all).toBe("first;second;third\nfourth ✓ 漢字")

        const rest = await (await stream({ url, offset: mid.offset, live: false, backoffOptions, ...auth })).text()
        expect(rest).toBe("third\nfourth ✓ 漢字")
      },
      T
    )

    test(
      "binary stream: arbitrary bytes round-trip exactly",
      async () => {
        const url = newStreamUrl("bin")
        const { opts } = newHandle(url, "application/octet-stream")
        const handle = await DurableStream.create(opts)

        const parts = [
          Uint8Array.from({ length: 256 }, (_, i) => i),
          pseudoRandomBytes(64 * 1024, 42),
          Uint8Array.from([0x0d, 0x0a, 0x00, 0xff, 0xfe, 0x0a]),
        ]
        for (const p of parts) await handle.append(p)

        const res = await stream({ url, live: false, backoffOptions, ...auth })
        expectBytesEqual(await res.body(), concat(parts))
        expect(res.upToDate).toBe(true)
      },
      T
    )

    test(
      "missing stream: HEAD reports absent, reads and appends fail with 404, conflicting create fails",
      async () => {
        const url = newStreamUrl("missing")
        const { opts } = newHandle(url, "text/plain")
        const handle = new DurableStream(opts)
        expect((await handle.head()).exists).toBe(false)
        await expect(stream({ url, live: false, backoffOptions, ...auth })).rejects.toMatchObject({ status: 404 })
        await expect(handle.append("x")).rejects.toMatchObject({ status: 404 })

        await DurableStream.create(opts)
        // Same URL, different content type -> 409 from the server.
        await expect(
          DurableStream.create({ ...opts, contentType: "application/json" })
        ).rejects.toMatchObject({ status: 409 })
      },
      T
    )
  })

  describe("live tailing", () => {
    for (const mode of ["long-poll", "sse"] as const) {
      test(
        `${mode}: JSON tail sees catch-up, then appends made while it waits`,
        async () => {
          const url = newStreamUrl(`tail-json-${mode}`)
          const { opts } = newHandle(url, "application/json")
          const handle = await DurableStream.create(opts)
          const m = (i: number) => ({ seq: i, body: `message ${i}`, at: mode })
          await handle.append(JSON.stringify(m(1)))

          const tail = await openTail<unknown>(url, mode, "json")
          const ctx = () => `items=${JSON.stringify(tail.items)}\nclient requests:\n${tail.log}`
          await waitFor(() => tail.items.length >= 1, () => `catch-up item; ${ctx()}`, {
            failIf: tail.error,
          })
          expect(tail.items).toEqual([m(1)])

          // Idle longer than the server's long-poll timeout, then append.
          await sleep(IDLE_MS)
          expect(tail.items).toEqual([m(1)]) // nothing spurious while idle
          await handle.append(JSON.stringify(m(2)))
          await waitFor(() => tail.items.length >= 2, () => `live item 2; ${ctx()}`, {
            failIf: tail.error,
          })

          // Two more at once (batched into one POST by the client).
          await Promise.all([handle.append(JSON.stringify(m(3))), handle.append(JSON.stringify(m(4)))])
          await waitFor(() => tail.items.length >= 4, () => `live items 3-4; ${ctx()}`, {
            failIf: tail.error,
          })
          await sleep(300) // would expose duplicates
          expect(tail.items).toEqual([m(1), m(2), m(3), m(4)])
          expect(tail.ended(), `tail ended unexpectedly; ${ctx()}`).toBe(false)
          expect(tail.error()).toBeUndefined()
          expect(tail.batches.some((b) => b.streamClosed)).toBe(false)

          expectLiveMode(tail, mode)
          if (mode === "long-poll") {
            // Stream-Cursor must be sent on long-poll responses; the client echoes it.
            const lp = tail.log.gets("long-poll")
            expect(
              lp.some((e) => new URL(e.url).searchParams.has("cursor")),
              `client never echoed a cursor (server sent no Stream-Cursor?); client requests:\n${tail.log}`
            ).toBe(true)
          }
        },
        T
      )
    }

    test(
      "long-poll: binary tail from the current tail offset sees only new bytes",
      async () => {
        const url = newStreamUrl("tail-bin-lp")
        const { opts } = newHandle(url, "application/octet-stream")
        const handle = await DurableStream.create(opts)
        await handle.append(Uint8Array.from([9, 9, 9, 9]))
        const h = await handle.head()
        if (!h.exists) throw new Error("stream vanished")

        const tail = await openTail<Uint8Array>(url, "long-poll", "bytes", h.offset)
        const got = () => concat(tail.items)
        const ctx = () => `got ${got().length} bytes; client requests:\n${tail.log}`
        await sleep(IDLE_MS)
        expect(got().length, ctx()).toBe(0)

        const fresh = [Uint8Array.from([0, 1, 2, 0x0a, 0x0d, 0xff]), pseudoRandomBytes(5000, 7)]
        await handle.append(fresh[0]!)
        await handle.append(fresh[1]!)
        const want = concat(fresh)
        await waitFor(() => got().length >= want.length, () => `new bytes; ${ctx()}`, {
          failIf: tail.error,
        })
        await sleep(200)
        expectBytesEqual(got(), want)
        expectLiveMode(tail, "long-poll")
      },
      T
    )

    test(
      "sse: text tail preserves multi-line text",
      async () => {
        const url = newStreamUrl("tail-text-sse")
        const { opts } = newHandle(url, "text/plain")
        const handle = await DurableStream.create({ ...opts, body: "hello\n" })

        const tail = await openTail<string>(url, "sse", "text")
        const got = () => tail.items.join("")
        const ctx = () => `got ${JSON.stringify(got())}; client requests:\n${tail.log}`
        await waitFor(() => got().length >= 6, () => `catch-up text; ${ctx()}`, { failIf: tail.error })
        expect(got()).toBe("hello\n")

        await sleep(IDLE_MS)
        await handle.append("line1\nline2\n")
        await handle.append("event: fake\ndata: injected")
        const want = "hello\nline1\nline2\nevent: fake\ndata: injected"
        await waitFor(() => got().length >= want.length, () => `live text; ${ctx()}`, {
          failIf: tail.error,
        })
        await sleep(200)
        expect(got()).toBe(want)
        expectLiveMode(tail, "sse")
      },
      T
    )

    test(
      "sse: binary tail is base64-encoded on the wire and round-trips bytes",
      async () => {
        const url = newStreamUrl("tail-bin-sse")
        const { opts } = newHandle(url, "application/octet-stream")
        const handle = await DurableStream.create(opts)
        const first = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x0a])
        await handle.append(first)

        const tail = await openTail<Uint8Array>(url, "sse", "bytes")
        const got = () => concat(tail.items)
        const ctx = () => `got ${got().length} bytes; client requests:\n${tail.log}`
        await waitFor(() => got().length >= first.length, () => `catch-up bytes; ${ctx()}`, {
          failIf: tail.error,
        })

        await sleep(IDLE_MS)
        // Lengths 1, 2, 3 (mod 3) exercise base64 padding; each event must decode alone.
        const fresh = [
          Uint8Array.from([0x00]),
          Uint8Array.from([0x0d, 0x0a]),
          new TextEncoder().encode("\nevent: control\ndata: {}\n\n"),
          pseudoRandomBytes(4099, 3),
        ]
        for (const f of fresh) await handle.append(f)
        const want = concat([first, ...fresh])
        await waitFor(() => got().length >= want.length, () => `live bytes; ${ctx()}`, {
          failIf: tail.error,
        })
        await sleep(200)
        expectBytesEqual(got(), want)
        expectLiveMode(tail, "sse")
        expect(
          tail.log.gets("sse").every((e) => e.status !== 200 || e.sseEncoding === "base64"),
          `SSE responses on a binary stream must carry Stream-SSE-Data-Encoding: base64; client requests:\n${tail.log}`
        ).toBe(true)
      },
      T
    )
  })

  describe("close / EOF", () => {
    test(
      "append-and-close reaches catch-up, long-poll and SSE readers as EOF",
      async () => {
        const url = newStreamUrl("close")
        const { opts } = newHandle(url, "application/json")
        const handle = await DurableStream.create(opts)
        await handle.append(JSON.stringify({ n: 1 }))

        const lp = await openTail<unknown>(url, "long-poll", "json")
        const sse = await openTail<unknown>(url, "sse", "json")
        const ctx = (t: LiveTail<unknown>) =>
          `items=${JSON.stringify(t.items)} batches=${JSON.stringify(t.batches)}\nclient requests:\n${t.log}`
        for (const t of [lp, sse]) {
          await waitFor(() => t.items.length >= 1, () => `catch-up; ${ctx(t)}`, { failIf: t.error })
        }
        await sleep(IDLE_MS)

        const { finalOffset } = await handle.close({ body: JSON.stringify({ n: 2, final: true }) })
        expect(finalOffset).toBeTruthy()

        const h = await handle.head()
        expect(h.exists && h.streamClosed).toBe(true)
        expect(h.exists && h.offset).toBe(finalOffset)

        for (const t of [lp, sse]) {
          await waitFor(
            () => t.ended() && t.items.length >= 2,
            () => `final item and end of stream; ${ctx(t)}`,
            { failIf: t.error }
          )
          expect(t.items).toEqual([{ n: 1 }, { n: 2, final: true }])
          expect(t.batches.at(-1)?.streamClosed, ctx(t)).toBe(true)
          expect(t.res.streamClosed).toBe(true)
          expect(t.res.offset).toBe(finalOffset)
        }
        expectLiveMode(lp, "long-poll")
        expectLiveMode(sse, "sse")

        const res = await stream({ url, live: false, backoffOptions, ...auth })
        expect(await res.json()).toEqual([{ n: 1 }, { n: 2, final: true }])
        expect(res.streamClosed).toBe(true)

        // A live reader started after the close ends at once instead of waiting.
        const started = Date.now()
        const late = await stream({ url, offset: finalOffset, live: "long-poll", backoffOptions, ...auth })
        expect(await late.json()).toEqual([])
        expect(late.streamClosed).toBe(true)
        expect(Date.now() - started).toBeLessThan(3_000)

        // Appending to a closed stream is rejected with 409; close-only is idempotent.
        await expect(handle.append(JSON.stringify({ n: 3 }))).rejects.toMatchObject({ status: 409 })
        const again = await handle.close()
        expect(again.finalOffset).toBe(finalOffset)
      },
      T
    )

    test(
      "stream created closed: content readable, EOF signalled",
      async () => {
        const url = newStreamUrl("created-closed")
        const { opts } = newHandle(url, "text/plain")
        await DurableStream.create({ ...opts, body: "only content", closed: true })
        const h = await new DurableStream(opts).head()
        expect(h.exists && h.streamClosed).toBe(true)

        const res = await stream({ url, live: "long-poll", backoffOptions, ...auth })
        const started = Date.now()
        expect(await res.text()).toBe("only content")
        expect(res.streamClosed).toBe(true)
        expect(Date.now() - started).toBeLessThan(3_000)
      },
      T
    )
  })

  describe("idempotent producer", () => {
    test(
      "IdempotentProducer: batched exactly-once appends, then close",
      async () => {
        const url = newStreamUrl("producer")
        const { log, opts } = newHandle(url, "application/json")
        const handle = await DurableStream.create(opts)
        const errors: Error[] = []
        const producer = new IdempotentProducer(handle, `producer-${Date.now()}`, {
          lingerMs: 5,
          maxInFlight: 3,
          fetch: log.fetch,
          onError: (e) => errors.push(e),
        })
        const msgs = Array.from({ length: 100 }, (_, i) => ({ i, pad: "x".repeat(i % 17) }))
        for (const m of msgs) producer.append(JSON.stringify(m))
        await producer.flush()
        expect(errors).toEqual([])

        const posts = log.entries.filter((e) => e.method === "POST")
        expect(posts.length).toBeGreaterThan(0)
        expect(posts.every((e) => e.status === 200 || e.status === 204), `producer POSTs:\n${log}`).toBe(true)

        const res = await stream({ url, live: false, backoffOptions, ...auth })
        expect(await res.json()).toEqual(msgs)

        const { finalOffset } = await producer.close(JSON.stringify({ done: true }))
        expect(finalOffset).toBeTruthy()
        expect(errors).toEqual([])
        const all = await (await stream({ url, live: false, backoffOptions, ...auth })).json()
        expect(all).toEqual([...msgs, { done: true }])
        const h = await handle.head()
        expect(h.exists && h.streamClosed).toBe(true)
      },
      T
    )
  })
})
