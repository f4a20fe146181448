/**
 * The upstream conformance suite calls the global fetch and has no option for extra headers.
 * When TRIBUTARY_TOKEN is set, this wraps the global fetch so every request to the server under
 * test (TRIBUTARY_URL's origin) carries `Authorization: Bearer <token>`, unless the request sets
 * its own. Imported by conformance.test.ts only: the client tests use the client's own `headers`
 * option instead.
 */
const token = process.env.TRIBUTARY_TOKEN
const origin = process.env.TRIBUTARY_URL ? new URL(process.env.TRIBUTARY_URL).origin : undefined

if (token && origin) {
  const inner = globalThis.fetch
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url)
    if (url.origin !== origin) return inner(input, init)
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`)
    return inner(input, { ...init, headers })
  }
}

export {}
