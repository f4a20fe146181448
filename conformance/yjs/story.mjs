// Story: collaborative editing with Yjs (@durable-streams/y-durable-streams) on a Tributary cluster.
//
//   node conformance/yjs/story.mjs --nodes http://127.0.0.1:A,http://127.0.0.1:B,http://127.0.0.1:C [--budget-ms 90000]
//
// One Yjs server (the package's YjsServer, a proxy that adds snapshots and compaction to a Durable
// Streams server) in front of each node; the first one compacts. Two editors, connected through the Yjs servers of
// DIFFERENT nodes, edit one document concurrently and must converge exactly (same state vector,
// same content). The small compaction threshold makes the first Yjs server compact: it writes a snapshot
// stream and records the offset it covers in the document's .index stream. The editors go on
// editing after the compaction, so updates follow the snapshot. A late joiner then connects
// through the third node's Yjs server, which knows nothing in memory: it finds the snapshot in
// .index, hands it out, and the joiner reads the updates from the snapshot offset plus one -- an
// offset inside the first message after the snapshot, which must be answered from that message's
// start (before the fix, Tributary answered from the middle and Yjs failed with "Unexpected end of
// array"). The joiner must converge to the same document. Exits non-zero with a reason on failure.
import * as Y from "yjs"
import * as decoding from "lib0/decoding"
import { YjsProvider } from "@durable-streams/y-durable-streams"
import { YjsServer } from "@durable-streams/y-durable-streams/server"

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const nodes = (arg(`--nodes`, ``) || ``).split(`,`).filter(Boolean)
if (nodes.length < 3) {
  console.error(`usage: story.mjs --nodes URL1,URL2,URL3 [--budget-ms N]`)
  process.exit(2)
}
const budgetMs = Number(arg(`--budget-ms`, `90000`))
const started = Date.now()
const COMPACTION_THRESHOLD_BYTES = 4096
const SERVICE = `story`
const docId = `doc-${process.pid}-${started}`

const log = (msg) => console.log(`yjs story [${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`)
const fail = (msg) => {
  console.error(`yjs story: FAILED: ${msg}`)
  process.exit(1)
}
const watchdog = setTimeout(() => fail(`over the time budget of ${budgetMs} ms`), budgetMs)
watchdog.unref()

/** Polls `check` until it answers true; fails naming `what` after `ms`. */
async function until(what, check, ms = 30000, state = () => ``) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) fail(`timed out after ${ms} ms waiting for ${what} ${state()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A seeded generator, so a failing run can be replayed (the seed is printed). */
function rng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const seed = Number(arg(`--seed`, String(started % 1000000)))
const random = rng(seed)
log(`seed ${seed}, document ${SERVICE}/${docId}`)

const servers = []
const providers = []
async function shutdown() {
  for (const p of providers) p.destroy()
  for (const s of servers) await s.stop().catch(() => {})
}

function editor(name, server) {
  const doc = new Y.Doc()
  const provider = new YjsProvider({
    doc,
    baseUrl: `${server.url}/v1/yjs/${SERVICE}`,
    docId,
    liveMode: `sse`,
  })
  provider.on(`error`, (err) => log(`${name}: provider error: ${err?.message ?? err}`))
  providers.push(provider)
  return { name, doc, provider, text: doc.getText(`text`), map: doc.getMap(`meta`) }
}

/** Concurrent edits: each editor inserts and deletes at random places, `rounds` times. */
async function editConcurrently(editors, rounds, tag) {
  for (let i = 0; i < rounds; i++) {
    for (const e of editors) {
      const len = e.text.length
      const at = Math.floor(random() * (len + 1))
      e.text.insert(at, `${e.name}${tag}${i}:${`x`.repeat(40 + Math.floor(random() * 40))};`)
      if (len > 20 && random() < 0.3) {
        const from = Math.floor(random() * (len - 10))
        e.text.delete(from, 1 + Math.floor(random() * 8))
      }
      e.map.set(`last-${e.name}`, `${tag}${i}`)
    }
    await new Promise((r) => setTimeout(r, random() * 20))
  }
  await Promise.all(editors.map((e) => e.provider.flush()))
}

/** State vector and content as sorted JSON (encodings list clients in each document's own order). */
function fingerprint(e) {
  const sv = [...Y.decodeStateVector(Y.encodeStateVector(e.doc)).entries()].sort((x, y) => x[0] - y[0])
  const meta = Object.entries(e.map.toJSON()).sort()
  return JSON.stringify({ sv, meta, text: e.text.toString() })
}

function sameDocument(a, b) {
  return fingerprint(a) === fingerprint(b)
}

async function indexEntries() {
  const r = await fetch(`${nodes[2]}/v1/stream/yjs/${SERVICE}/docs/${docId}/.index?offset=-1`)
  if (r.status === 404) return []
  if (!r.ok) fail(`reading the .index stream: ${r.status} ${await r.text()}`)
  return JSON.parse(await r.text())
}

try {
  for (let i = 0; i < 3; i++) {
    // Only the first compacts: a Yjs server keeps its compaction state in memory, so two that
    // compact one document race (docs/yjs.md); the others never reach their threshold.
    const threshold = i === 0 ? COMPACTION_THRESHOLD_BYTES : Number.MAX_SAFE_INTEGER
    const s = new YjsServer({ port: 0, dsServerUrl: nodes[i], compactionThreshold: threshold })
    await s.start()
    servers.push(s)
  }
  log(`Yjs servers ${servers.map((s, i) => `${s.url} -> ${nodes[i]}`).join(`, `)}`)

  const a = editor(`A`, servers[0])
  const b = editor(`B`, servers[1])
  await until(`editors A and B to sync`, () => a.provider.synced && b.provider.synced)
  log(`A (through ${nodes[0]}) and B (through ${nodes[1]}) synced`)

  await editConcurrently([a, b], 60, `r1-`)
  await until(`A and B to converge`, () => sameDocument(a, b), 30000, () => `A ${a.text.length} chars, B ${b.text.length} chars, A synced ${a.provider.synced}, B synced ${b.provider.synced}`)
  log(`A and B converged: ${a.text.length} characters`)

  await until(`a compaction (an entry in .index)`, async () => (await indexEntries()).length > 0)
  const snapshots = (await indexEntries()).map((e) => e.snapshotOffset)
  log(`compacted: snapshot offsets ${snapshots.join(`, `)}`)

  // updates after the snapshot: the late joiner reads them from the snapshot offset plus one
  await editConcurrently([a, b], 10, `r2-`)
  await until(`A and B to converge after the compaction`, () => sameDocument(a, b))
  const latest = (await indexEntries()).map((e) => e.snapshotOffset).at(-1)
  const head = await fetch(`${nodes[2]}/v1/stream/yjs/${SERVICE}/docs/${docId}/.updates`, { method: `HEAD` })
  const tail = head.headers.get(`stream-next-offset`)
  log(`A and B converged again: ${a.text.length} characters; latest snapshot at ${latest}, updates tail ${tail}`)
  // (a Yjs server may compact on the last write, so the snapshot may end at the tail: both are fine)

  // what the Yjs server reads after a snapshot, asked of Tributary directly: whole lib0 frames
  // from the snapshot offset plus one (inside the first message after it, or one past the tail)
  const [seqPart, bytePart] = latest.split(`_`)
  const plusOne = `${seqPart}_${String(Number(bytePart) + 1).padStart(bytePart.length, `0`)}`
  const after = await fetch(`${nodes[2]}/v1/stream/yjs/${SERVICE}/docs/${docId}/.updates?offset=${plusOne}`)
  if (after.status !== 200) fail(`reading the updates from ${plusOne}: ${after.status} ${await after.text()}`)
  const frames = new Uint8Array(await after.arrayBuffer())
  const decoder = decoding.createDecoder(frames)
  let count = 0
  try {
    while (decoding.hasContent(decoder)) {
      decoding.readVarUint8Array(decoder)
      count++
    }
  } catch (err) {
    fail(`the updates from ${plusOne} are not whole frames (${frames.length} bytes): ${err.message}`)
  }
  log(`updates from ${plusOne} (${latest < tail ? `inside the first message after the snapshot` : `one past the tail`}): ${count} whole frames, ${frames.length} bytes, next ${after.headers.get(`stream-next-offset`)}`)

  const c = editor(`C`, servers[2])
  await until(`late joiner C to sync`, () => c.provider.synced)
  await until(`late joiner C to converge with A and B`, () => sameDocument(a, c) && sameDocument(b, c), 20000)
  log(`late joiner C (through ${nodes[2]}, from snapshot ${latest}) converged: ${c.text.length} characters`)

  // and all three keep converging on new concurrent edits
  await editConcurrently([a, b, c], 5, `r3-`)
  await until(`A, B and C to converge on new edits`, () => sameDocument(a, b) && sameDocument(a, c))
  log(`PASS: 3 editors on 3 nodes converged (${a.text.length} characters) in ${Date.now() - started} ms`)
  await shutdown()
  process.exit(0)
} catch (err) {
  fail(err?.stack ?? String(err))
}
