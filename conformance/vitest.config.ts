import { defineConfig } from "vitest/config"

// JSON report location. run.sh sets CONFORMANCE_REPORT_FILE; a plain
// `npx vitest run` writes to results/report.json.
const reportFile = process.env.CONFORMANCE_REPORT_FILE ?? "results/report.json"

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
    // The upstream suite is written for vitest's default 5 s per-test timeout
    // (its long-poll tests set their own, sized by longPollTimeoutMs). Keep 5 s
    // so a server whose long-poll timeout is too long fails here as it would
    // upstream; override with CONFORMANCE_TEST_TIMEOUT_MS if really needed.
    testTimeout: Number(process.env.CONFORMANCE_TEST_TIMEOUT_MS ?? 5_000),
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // One file at a time: the suite has timing-sensitive tests (long-poll
    // timeouts, TTL expiry) that should not compete with the client tests.
    fileParallelism: false,
    // Never retry: a flaky server must show up as a failure.
    retry: 0,
    reporters: ["default", "json"],
    outputFile: { json: reportFile },
  },
})
