// Story: an operator uses the web console (docs/console.md) on a 3-node Tributary cluster, in a real
// headless Chromium driven by playwright-core.
//
//   node conformance/console/story.mjs --nodes URL1,URL2,URL3 --admins URL1,URL2,URL3 --pids PID1,PID2,PID3
//        --results DIR [--budget-ms 120000] [--chromium /usr/bin/chromium]
//
// Streams are created and appended through the client listeners. The console is opened on the
// admin listener of a node that does NOT lead group 0. The operator picks a bucket, searches by
// name prefix and opens a stream; records appended through a client listener must appear in the
// live tail, pretty-printed, within a few seconds each. Then the cluster view: it must show group
// 0's current leader; that leader's process is killed (SIGKILL), and the page must show another
// node as group 0's leader. Screenshots of the stream view and the cluster view go to DIR. The
// page must raise no script error and no Content-Security-Policy violation. Exits non-zero with a
// reason on failure.
import { chromium } from "playwright-core"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}
const list = (name) => (arg(name, ``) || ``).split(`,`).filter(Boolean)
const nodes = list(`--nodes`)
const admins = list(`--admins`)
const pids = list(`--pids`).map(Number)
const results = arg(`--results`, ``)
if (nodes.length !== 3 || admins.length !== 3 || pids.length !== 3 || !results) {
  console.error(`usage: story.mjs --nodes U1,U2,U3 --admins A1,A2,A3 --pids P1,P2,P3 --results DIR [--budget-ms N]`)
  process.exit(2)
}
const budgetMs = Number(arg(`--budget-ms`, `120000`))
const executablePath = arg(`--chromium`, `/usr/bin/chromium`)
const started = Date.now()
const BUCKET = `shop`
const STREAM = `orders-eu`
const LIVE_RECORD_MS = 5000 // an appended record must be on the page within this
const LEADER_CHANGE_MS = 30000 // election after a SIGKILL: timeouts are 0.5-1 s, the page polls every second

const log = (msg) => console.log(`console story [${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`)
let browserContext = null
async function fail(msg) {
  console.error(`console story: FAILED: ${msg}`)
  if (browserContext) {
    const page = browserContext.pages()[0]
    if (page) await page.screenshot({ path: path.join(results, `console-failure.png`) }).catch(() => {})
    await browserContext.close().catch(() => {})
  }
  process.exit(1)
}
process.on(`uncaughtException`, (e) => fail(e.stack || String(e)))
process.on(`unhandledRejection`, (e) => fail((e && e.stack) || String(e)))
const watchdog = setTimeout(() => fail(`over the time budget of ${budgetMs} ms`), budgetMs)
watchdog.unref()

/** Polls `check` until it answers true; fails naming `what` after `ms`. */
async function until(what, check, ms, state = async () => ``) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) await fail(`timed out after ${ms} ms waiting for ${what} ${await state()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function http(method, url, body, contentType) {
  const r = await fetch(url, {
    method,
    body,
    headers: contentType ? { "Content-Type": contentType } : {},
    signal: AbortSignal.timeout(10000),
  })
  return { status: r.status, text: await r.text() }
}

async function expectStatus(method, url, body, contentType, ...ok) {
  const r = await http(method, url, body, contentType)
  if (!ok.includes(r.status)) await fail(`${method} ${url}: ${r.status} ${r.text}`)
  return r
}

async function leaders(admin) {
  const r = await http(`GET`, `${admin}/admin/groups`)
  if (r.status !== 200) return null
  return JSON.parse(r.text).map((g) => g.leader)
}

// ---- the data: a bucket with a few streams, through node 1's client listener -------------------
log(`creating bucket ${BUCKET} and its streams through ${nodes[0]}`)
await expectStatus(`PUT`, `${nodes[0]}/ds/${BUCKET}`, undefined, undefined, 201, 200)
for (const [name, type, body] of [
  [STREAM, `application/json`, `[{"order":1,"item":"kettle","qty":2}]`],
  [`orders-us`, `application/json`, `[{"order":1,"item":"lamp"}]`],
  [`invoices`, `application/json`, `[{"invoice":7}]`],
  [`audit-log`, `text/plain`, `created\n`],
  [`thumbnails`, `application/octet-stream`, `\u0000\u0001\u0002binary`],
]) {
  await expectStatus(`PUT`, `${nodes[0]}/ds/${BUCKET}/${name}`, body, type, 201)
}

// ---- leadership settled (no change for 3 s), then pick the console's node ----------------------
let settled = null
let stableSince = Date.now()
await until(`leaders to settle`, async () => {
  const now = await leaders(admins[0])
  const key = now && !now.includes(null) ? now.join(`,`) : null
  if (key === null || key !== settled) {
    settled = key
    stableSince = Date.now()
    return false
  }
  return Date.now() - stableSince >= 3000
}, 60000)
const groupLeaders = settled.split(`,`)
const victim = groupLeaders[0] // group 0's leader: stopped later
const victimIndex = Number(victim.replace(/^n/, ``)) - 1
const consoleIndex = [0, 1, 2].find((i) => i !== victimIndex)
const adminUrl = admins[consoleIndex]
const clientUrl = nodes[consoleIndex]
log(`leaders by group: ${settled}; console on n${consoleIndex + 1} (${adminUrl}); group 0's leader ${victim} will be killed`)

// ---- the browser -------------------------------------------------------------------------------
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-console-chromium-`))
browserContext = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1360, height: 900 },
  args: [`--no-sandbox`, `--disable-gpu`, `--disable-quic`, `--no-first-run`, `--disable-background-networking`,
    `--disable-component-update`, `--disable-sync`],
})
const page = browserContext.pages()[0] || await browserContext.newPage()
const pageProblems = []
page.on(`pageerror`, (e) => pageProblems.push(`script error: ${e.message}`))
page.on(`console`, (m) => {
  if (m.type() === `error` && /Content Security Policy|Refused to/i.test(m.text())) pageProblems.push(`CSP: ${m.text()}`)
})
const noProblems = async (when) => {
  if (pageProblems.length) await fail(`${when}: ${pageProblems.join(`; `)}`)
}

log(`opening ${adminUrl}/`)
const nav = await page.goto(`${adminUrl}/`, { waitUntil: `load`, timeout: 20000 })
if (!page.url().startsWith(`${adminUrl}/console/`)) await fail(`/ did not lead to the console: ${page.url()}`)
const pageCsp = nav.headers()[`content-security-policy`] ?? ``
if (!pageCsp.includes(`default-src 'self'`)) await fail(`the console page's CSP is "${pageCsp}"`)
log(`console loaded (CSP: ${pageCsp.split(`;`)[0]})`)

// find the stream: choose the bucket, search by prefix
await page.waitForSelector(`#bucket option[value="${BUCKET}"]`, { state: `attached`, timeout: 10000 })
await page.selectOption(`#bucket`, BUCKET)
await page.fill(`#prefix`, `orders-`)
await page.click(`#search`)
const rowNames = async () => page.$$eval(`#streams tbody tr`, (rows) => rows.map((r) => r.dataset.stream))
await until(`the search for orders- in ${BUCKET}`, async () => {
  const n = await rowNames()
  return n.length === 2 && n[0] === `orders-eu` && n[1] === `orders-us`
}, 10000, async () => `(rows: ${JSON.stringify(await rowNames())})`)
log(`search "orders-" lists ${JSON.stringify(await rowNames())}`)
await page.click(`#streams tbody tr[data-stream="${STREAM}"] a`)

// the stream view: metadata, then records appearing live
const field = (name) => page.$eval(`#stream-meta dd[data-field="${name}"]`, (e) => e.textContent).catch(() => ``)
await until(`the stream's metadata`, async () => (await field(`content type`)) === `application/json`, 10000)
const recordTexts = () => page.$$eval(`#tail-records li pre.json`, (els) => els.map((e) => e.textContent))
await until(`the stream's first record in the tail`, async () => (await recordTexts()).length === 1, 10000)
for (let i = 1; i <= 3; i++) {
  const note = `live-${i}-${started}`
  const sent = Date.now()
  await expectStatus(`POST`, `${clientUrl}/ds/${BUCKET}/${STREAM}`, JSON.stringify([{ order: 100 + i, note }]),
    `application/json`, 200, 204)
  // pretty-printed: the page shows `"note": "..."` on its own line, not the stored compact form
  await until(`appended record ${i} in the live tail`, async () =>
    (await recordTexts()).some((t) => t.includes(`\n  "note": "${note}"`)), LIVE_RECORD_MS,
  async () => `(records shown: ${JSON.stringify(await recordTexts())})`)
  log(`record ${i} appeared in the page ${Date.now() - sent} ms after its append was acknowledged`)
}
await until(`the metadata to show the new tail`, async () => (await field(`bytes`)).includes(
  `(${JSON.parse((await http(`GET`, `${adminUrl}/admin/stream?bucket=${BUCKET}&name=${STREAM}`)).text).tailBytes} B)`),
10000)
await noProblems(`the stream view`)
fs.mkdirSync(results, { recursive: true })
await page.screenshot({ path: path.join(results, `console-stream.png`), fullPage: true })
log(`saved ${path.join(results, `console-stream.png`)}`)

// ---- the cluster view, and a leader stopped --------------------------------------------------------
await page.click(`#nav-cluster`)
const shownLeader = () => page.$eval(`#groups tbody tr[data-group="0"]`, (r) => r.dataset.leader).catch(() => null)
await until(`the cluster view to show ${victim} leading group 0`, async () => (await shownLeader()) === victim, 10000,
  async () => `(shown: ${await shownLeader()})`)
// a little traffic so the charts have something to draw (not checked: appends to the stopped node's
// groups fail until their new leaders are elected)
let load = true
const loader = (async () => {
  for (let i = 0; load; i++) {
    await http(`POST`, `${clientUrl}/ds/${BUCKET}/${i % 2 ? `orders-us` : `invoices`}`, `[{"n":${i}}]`,
      `application/json`).catch(() => {})
    await new Promise((r) => setTimeout(r, 50))
  }
})()
await new Promise((r) => setTimeout(r, 4000))
log(`killing ${victim} (pid ${pids[victimIndex]}), group 0's leader`)
process.kill(pids[victimIndex], `SIGKILL`)
const killedAt = Date.now()
await until(`another node to be shown leading group 0`, async () => {
  const l = await shownLeader()
  return l && l !== victim && l !== `none`
}, LEADER_CHANGE_MS, async () => `(shown: ${await shownLeader()})`)
log(`the page shows ${await shownLeader()} leading group 0, ${Date.now() - killedAt} ms after the kill`)
await new Promise((r) => setTimeout(r, 4500)) // two more chart points after the change
load = false
await loader
await noProblems(`the cluster view`)
await page.screenshot({ path: path.join(results, `console-cluster.png`), fullPage: true })
log(`saved ${path.join(results, `console-cluster.png`)}`)
await browserContext.close()
fs.rmSync(userDataDir, { recursive: true, force: true })
log(`passed`)
process.exit(0)
