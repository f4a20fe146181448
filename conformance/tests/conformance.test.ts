/**
 * Runs the upstream Durable Streams server conformance suite
 * (@durable-streams/server-conformance-tests, pinned in package.json)
 * against the server at TRIBUTARY_URL.
 *
 * The package's own CLI cannot be used when it is installed from npm (vitest
 * excludes node_modules, so it finds no test files); calling the exported
 * runConformanceTests() from a test file in this project is what upstream does
 * for its own reference servers.
 *
 * Env:
 *   TRIBUTARY_URL              server origin, e.g. http://127.0.0.1:4437 (required;
 *                              no path: fork tests send Stream-Forked-From: /v1/stream/...)
 *   CONFORMANCE_SUBSCRIPTIONS  "1" to also run the opt-in subscription (webhook /
 *                              pull-wake) tests
 *   CONFORMANCE_LONG_POLL_MS   sizes the per-test timeout of the suite's long-poll
 *                              tests (suite default 20000 -> 21 s per test)
 *   TRIBUTARY_TOKEN            bearer token sent with every request (bearer-fetch.ts)
 */
import { describe } from "vitest"
import { runConformanceTests } from "@durable-streams/server-conformance-tests"
import "./bearer-fetch"

const rawUrl = process.env.TRIBUTARY_URL
if (!rawUrl) {
  throw new Error(
    "TRIBUTARY_URL is not set. Use conformance/run.sh, or set TRIBUTARY_URL=http://host:port"
  )
}
const baseUrl = rawUrl.replace(/\/+$/, "")

const flag = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v)

const longPollTimeoutMs = process.env.CONFORMANCE_LONG_POLL_MS
  ? Number(process.env.CONFORMANCE_LONG_POLL_MS)
  : undefined
if (longPollTimeoutMs !== undefined && !(longPollTimeoutMs > 0)) {
  throw new Error(`CONFORMANCE_LONG_POLL_MS must be a positive number, got ${process.env.CONFORMANCE_LONG_POLL_MS}`)
}

describe("Durable Streams conformance", () => {
  runConformanceTests({
    baseUrl,
    longPollTimeoutMs,
    subscriptions: flag(process.env.CONFORMANCE_SUBSCRIPTIONS),
  })
})
