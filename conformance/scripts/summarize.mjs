#!/usr/bin/env node
// Reads a vitest JSON report and prints one line per requested suite:
//   conformance: N passed, N failed, N skipped
//   client: N passed, N failed, N skipped
// Then, for failures, the names of the failed tests.
// Exit status: 0 all good; 1 failures / too few tests / missing results.
//
// usage: node summarize.mjs <report.json> <suite>[,<suite>...]
// env:   CONFORMANCE_EXPECTED  minimum number of conformance tests that must run
//                              (passed + failed); default 332, or 338 with
//                              CONFORMANCE_SUBSCRIPTIONS=1
//        CLIENT_EXPECTED       minimum number of client tests that must run (default 1)
import { readFileSync, existsSync } from "node:fs"
import { basename } from "node:path"

const [reportPath, suitesArg] = process.argv.slice(2)
if (!reportPath || !suitesArg) {
  console.error("usage: summarize.mjs <report.json> <suite>[,<suite>...]")
  process.exit(2)
}
const suites = suitesArg.split(",").filter(Boolean)

const subs = /^(1|true|yes|on)$/i.test(process.env.CONFORMANCE_SUBSCRIPTIONS ?? "")
const expected = {
  conformance: Number(process.env.CONFORMANCE_EXPECTED ?? (subs ? 338 : 332)),
  client: Number(process.env.CLIENT_EXPECTED ?? 1),
}
const fileOf = { conformance: "conformance.test.ts", client: "client.test.ts" }

let report = { testResults: [] }
let reportProblem = null
if (!existsSync(reportPath)) {
  reportProblem = `no JSON report at ${reportPath} (vitest crashed or never ran)`
} else {
  try {
    report = JSON.parse(readFileSync(reportPath, "utf8"))
  } catch (e) {
    reportProblem = `unreadable JSON report ${reportPath}: ${e.message}`
  }
}

let bad = false
const failedNames = []
const notes = []
if (reportProblem) {
  notes.push(reportProblem)
  bad = true
}

for (const suite of suites) {
  const files = (report.testResults ?? []).filter((f) => basename(f.name ?? "") === fileOf[suite])
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const f of files) {
    for (const a of f.assertionResults ?? []) {
      if (a.status === "passed") passed++
      else if (a.status === "failed") {
        failed++
        failedNames.push(`${suite}: ${a.fullName ?? a.title}`)
      } else skipped++ // skipped | pending | todo | disabled
    }
    // A file that failed to load/collect has status "failed" and a message but
    // no (or no failed) assertions: count it as a failure.
    if (f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")) {
      failed++
      const msg = (f.message ?? "").split("\n")[0] || "file failed"
      failedNames.push(`${suite}: [${fileOf[suite]}] ${msg}`)
    }
  }
  console.log(`${suite}: ${passed} passed, ${failed} failed, ${skipped} skipped`)
  if (failed > 0) bad = true
  if (files.length === 0) {
    notes.push(`${suite}: no results for ${fileOf[suite]} in the report`)
    bad = true
  }
  const ran = passed + failed
  if (ran < expected[suite]) {
    notes.push(`${suite}: only ${ran} tests ran, expected at least ${expected[suite]}`)
    bad = true
  }
}

for (const n of notes) console.log(`NOTE ${n}`)
if (failedNames.length > 0) {
  console.log(`Failed tests (${failedNames.length}):`)
  for (const n of failedNames) console.log(`  - ${n}`)
}
process.exit(bad ? 1 : 0)
