// Tributary web console (docs/console.md). Plain script, no build step: served by the admin
// listener with a Content-Security-Policy that allows only this file, so nothing here uses inline
// handlers, eval or inline styles. Every request goes to /admin/... or /metrics on the same origin
// with the operator's bearer token (kept in sessionStorage, so it leaves with the tab). The live
// tail is a fetch long-poll loop, not an EventSource: an EventSource cannot send a token.
'use strict';

const TOKEN_KEY = 'tributary.console.token';
const TAIL_RECORDS_SHOWN_MAX = 500;
const HEX_BYTES_SHOWN_MAX = 4096;
const CLUSTER_POLL_MS = 1000;
const METRICS_POLL_MS = 2000;
const CHART_POINTS_MAX = 90;

const $ = (sel) => document.querySelector(sel);

/** Builds an element: el('td', {class: 'num'}, 'text', child, ...). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// ---- requests ------------------------------------------------------------------------------

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

/** An error a view shows; status is the HTTP status (0 for a network failure). */
class ApiError extends Error {
  constructor(status, message, retryAfterMs) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

async function api(path, { signal, text } = {}) {
  const headers = {};
  if (token()) headers.Authorization = 'Bearer ' + token();
  let r;
  try {
    r = await fetch(path, { headers, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the node did not answer (' + e.message + ')', 1000);
  }
  if (!r.ok) {
    const body = (await r.text()).trim();
    const retry = Number(r.headers.get('Retry-After') || '1') * 1000;
    if (r.status === 401 || r.status === 403) {
      showBanner((r.status === 401 ? 'This node requires a bearer token with admin:* — paste it above. ' : '')
        + body, true);
    }
    throw new ApiError(r.status, `${r.status}: ${body || r.statusText}`, retry);
  }
  hideBanner();
  return text ? r.text() : r.json();
}

function showBanner(message, error) {
  const b = $('#banner');
  b.textContent = message;
  b.classList.toggle('error', !!error);
  b.hidden = false;
}

function hideBanner() {
  $('#banner').hidden = true;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// ---- formatting ----------------------------------------------------------------------------

function bytes(n) {
  if (n === null || n === undefined) return 'unknown';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}

function hex(u8) {
  const lines = [];
  const n = Math.min(u8.length, HEX_BYTES_SHOWN_MAX);
  for (let i = 0; i < n; i += 16) {
    const row = Array.from(u8.subarray(i, Math.min(i + 16, n)));
    const h = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const a = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(i.toString(16).padStart(8, '0') + '  ' + h.padEnd(47) + '  ' + a);
  }
  if (u8.length > n) lines.push(`... ${u8.length - n} more bytes`);
  return lines.join('\n');
}

function fromBase64(b64) {
  const s = atob(b64);
  const u8 = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u8[i] = s.charCodeAt(i);
  return u8;
}

// ---- routing -------------------------------------------------------------------------------

/** The current view's cleanup (stops its polling); replaced on every navigation. */
let leaveView = () => {};

function route() {
  leaveView();
  leaveView = () => {};
  const hash = location.hash || '#/streams';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  for (const a of document.querySelectorAll('nav a')) a.classList.remove('active');
  if (path === '/stream') {
    $('#nav-streams').classList.add('active');
    leaveView = showStream(params.get('bucket') || 'default', params.get('name') || '');
  } else if (path === '/cluster') {
    $('#nav-cluster').classList.add('active');
    leaveView = showCluster();
  } else {
    $('#nav-streams').classList.add('active');
    leaveView = showStreams(params);
  }
}

// ---- streams -------------------------------------------------------------------------------

function showStreams(params) {
  $('#view-streams').hidden = false;
  const bucket = params.get('bucket') || 'default';
  const prefix = params.get('prefix') || '';
  const after = params.get('after');
  $('#prefix').value = prefix;
  const controller = new AbortController();
  loadStreams(bucket, prefix, after, controller.signal).catch((e) => {
    if (e.name !== 'AbortError') showBanner('Listing failed: ' + e.message, true);
  });
  return () => controller.abort();
}

function streamsHash(bucket, prefix, after) {
  const p = new URLSearchParams({ bucket });
  if (prefix) p.set('prefix', prefix);
  if (after) p.set('after', after);
  return '#/streams?' + p;
}

async function loadStreams(bucket, prefix, after, signal) {
  const { buckets } = await api('/admin/buckets', { signal });
  const select = $('#bucket');
  select.replaceChildren(...buckets.map((b) => el('option', { value: b, selected: b === bucket }, b)));
  const q = new URLSearchParams({ bucket, prefix, limit: '50' });
  if (after) q.set('after', after);
  const page = await api('/admin/streams?' + q, { signal });
  const rows = page.streams.map((s) => el('tr', { dataset: { stream: s.name } },
    el('td', {}, el('a', { href: '#/stream?' + new URLSearchParams({ bucket, name: s.name }) }, s.name)),
    el('td', {}, s.contentType),
    el('td', { class: 'num' }, bytes(s.tailBytes)),
    el('td', {}, s.closed ? 'closed' : 'open')));
  $('#streams tbody').replaceChildren(...rows);
  $('#streams-empty').hidden = rows.length > 0;
  $('#page-first').disabled = !after;
  $('#page-next').disabled = !page.next;
  $('#page-next').dataset.next = page.next || '';
  $('#page-info').textContent = `${rows.length} stream${rows.length === 1 ? '' : 's'}`
    + (after ? ` after ${after}` : '') + (page.next ? ', more on the next page' : '');
}

function wireStreamsForm() {
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = streamsHash($('#bucket').value, $('#prefix').value.trim(), null);
  });
  $('#bucket').addEventListener('change', () => {
    location.hash = streamsHash($('#bucket').value, $('#prefix').value.trim(), null);
  });
  $('#page-first').addEventListener('click', () => {
    location.hash = streamsHash($('#bucket').value, $('#prefix').value.trim(), null);
  });
  $('#page-next').addEventListener('click', () => {
    location.hash = streamsHash($('#bucket').value, $('#prefix').value.trim(), $('#page-next').dataset.next);
  });
}

// ---- one stream ----------------------------------------------------------------------------

function showStream(bucket, name) {
  $('#view-stream').hidden = false;
  $('#stream-title').textContent = `${bucket} / ${name}`;
  $('#back').href = streamsHash(bucket, '', null);
  $('#stream-meta').replaceChildren();
  $('#stream-history').replaceChildren();
  $('#tail-records').replaceChildren();
  $('#tail-count').textContent = '';
  const controller = new AbortController();
  const tail = { bucket, name, shown: 0, paused: false, signal: controller.signal, wake: null };
  $('#tail-toggle').textContent = 'Pause';
  $('#tail-toggle').onclick = () => {
    tail.paused = !tail.paused;
    $('#tail-toggle').textContent = tail.paused ? 'Resume' : 'Pause';
    if (!tail.paused && tail.wake) tail.wake();
  };
  $('#tail-from-start').onchange = () => route(); // start over from the chosen offset
  refreshMeta(bucket, name, controller.signal);
  runTail(tail).catch((e) => {
    if (e.name !== 'AbortError') $('#tail-state').textContent = 'stopped: ' + e.message;
  });
  return () => controller.abort();
}

function metaList(target, pairs) {
  target.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { dataset: { field: k } }, v)]));
}

async function refreshMeta(bucket, name, signal) {
  while (!signal.aborted) {
    try {
      const m = await api('/admin/stream?' + new URLSearchParams({ bucket, name }), { signal });
      metaList($('#stream-meta'), [
        ['content type', m.contentType],
        ['tail offset', m.nextOffset],
        ['bytes', `${bytes(m.tailBytes)} (${m.tailBytes} B)`],
        ['stored records', m.storedRecords === null ? 'unknown (some are in the object store)' : m.storedRecords],
        ['closed', m.closed ? 'yes' : 'no'],
        ['TTL', m.ttlSeconds === null ? 'none' : `${m.ttlSeconds} s`],
        ['expires at', m.expiresAt || 'never'],
        ['last access', m.lastAccess || 'unknown'],
        ['stream id', m.streamId],
        ['Raft group', m.group],
        ['fork of', m.forkOf ? `${m.forkOf.bucket}/${m.forkOf.name} at ${m.forkOf.forkPoint}` : 'no'],
        ['attributes', m.attrs || 'none'],
      ]);
      metaList($('#stream-history'), [
        ['latest snapshot', m.snapshot ? `at ${m.snapshot.offset} (${bytes(m.snapshot.offsetBytes)})` : 'none'],
        ['snapshot type', m.snapshot ? m.snapshot.contentType : '—'],
        ['snapshot digest', m.snapshot ? m.snapshot.digest : '—'],
        ['retained from', `${m.retainedFrom} (${bytes(m.retainedFromBytes)} trimmed)`],
      ]);
    } catch (e) {
      if (e.name === 'AbortError') return;
      metaList($('#stream-meta'), [['error', e.message]]);
      if (e.status === 404 || e.status === 410) return;
    }
    await sleep(2000, signal);
  }
}

/** Follows the stream: one long-poll after another, each from the previous answer's next offset. */
async function runTail(tail) {
  let offset = $('#tail-from-start').checked ? '-1' : 'now';
  const state = $('#tail-state');
  while (!tail.signal.aborted) {
    if (tail.paused) {
      state.textContent = 'paused';
      await new Promise((resolve) => { tail.wake = resolve; tail.signal.addEventListener('abort', resolve); });
      continue;
    }
    state.textContent = 'following';
    let answer;
    try {
      answer = await api('/admin/tail?' + new URLSearchParams({ bucket: tail.bucket, name: tail.name, offset }),
        { signal: tail.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (e.status === 404 || e.status === 410 || e.status === 400 || e.status === 401 || e.status === 403) {
        state.textContent = 'stopped: ' + e.message;
        return;
      }
      state.textContent = 'retrying: ' + e.message; // 503/429 (limits, a node starting) or a network error
      await sleep(e.retryAfterMs || 1000, tail.signal);
      continue;
    }
    appendRecords(tail, answer);
    offset = answer.next;
    if (answer.closed && answer.upToDate) {
      state.textContent = 'stream closed';
      return;
    }
  }
}

function appendRecords(tail, answer) {
  const list = $('#tail-records');
  for (const r of answer.records) {
    const body = answer.json ? el('pre', { class: 'json' }, JSON.stringify(r.value, null, 2)) : binary(answer, r);
    const li = el('li', { class: 'record new', dataset: { offset: r.offset } },
      el('span', { class: 'offset' }, `offset ${r.offset} (byte ${r.offsetBytes})`), body);
    list.append(li);
    setTimeout(() => li.classList.remove('new'), 1600);
    tail.shown++;
  }
  while (list.children.length > TAIL_RECORDS_SHOWN_MAX) list.firstElementChild.remove();
  if (answer.records.length > 0) list.scrollTop = list.scrollHeight;
  $('#tail-count').textContent = `${tail.shown} record${tail.shown === 1 ? '' : 's'} received`
    + (tail.shown > TAIL_RECORDS_SHOWN_MAX ? `, last ${TAIL_RECORDS_SHOWN_MAX} shown` : '');
}

/** Bytes of a non-JSON stream: text for text types, a hex dump otherwise; base64 on request. */
function binary(answer, r) {
  const u8 = fromBase64(r.base64);
  const isText = /^text\/|charset=utf-8/i.test(answer.contentType);
  let shown = null;
  if (isText) {
    try {
      shown = new TextDecoder('utf-8', { fatal: true }).decode(u8);
    } catch (_) {
      shown = null;
    }
  }
  const details = el('details', {}, el('summary', {}, `${u8.length} bytes, base64`), el('pre', {}, r.base64));
  return el('div', {}, el('pre', { class: shown === null ? 'hex' : 'text' }, shown === null ? hex(u8) : shown), details);
}

// ---- cluster -------------------------------------------------------------------------------

function showCluster() {
  $('#view-cluster').hidden = false;
  const controller = new AbortController();
  pollCluster(controller.signal);
  pollMetrics(controller.signal);
  return () => controller.abort();
}

const lastLeaders = new Map();

async function pollCluster(signal) {
  while (!signal.aborted) {
    try {
      renderCluster(await api('/admin/cluster', { signal }));
    } catch (e) {
      if (e.name === 'AbortError') return;
      $('#cluster-updated').textContent = 'update failed: ' + e.message;
    }
    await sleep(CLUSTER_POLL_MS, signal);
  }
}

function renderCluster(c) {
  $('#node-id').textContent = c.node;
  $('#cluster-node').textContent = c.node;
  const ready = $('#cluster-ready');
  ready.textContent = c.ready ? 'ready' : 'not ready';
  ready.className = 'pill ' + (c.ready ? 'ok' : 'bad');
  $('#cluster-reasons').replaceChildren(...c.notReady.map((r) => el('li', {}, r)));
  const leads = new Map();
  for (const g of c.groups) {
    if (g.leader) leads.set(g.leader, [...(leads.get(g.leader) || []), g.group]);
  }
  $('#peers tbody').replaceChildren(...c.peers.map((p) => el('tr', { dataset: { node: p.id } },
    el('td', {}, p.id + (p.id === c.node ? ' (this node)' : '')),
    el('td', {}, p.address),
    el('td', {}, (leads.get(p.id) || []).join(', ') || '—'))));
  $('#groups tbody').replaceChildren(...c.groups.map((g) => {
    const changed = lastLeaders.has(g.group) && lastLeaders.get(g.group) !== g.leader;
    lastLeaders.set(g.group, g.leader);
    return el('tr', { dataset: { group: g.group, leader: g.leader || '' }, class: changed ? 'changed' : null },
      el('td', { class: 'num' }, g.group),
      el('td', { class: g.role === 'LEADER' ? 'role-leader' : null }, g.role.toLowerCase()),
      el('td', { class: 'leader' }, g.leader || 'none'),
      el('td', { class: 'num' }, g.term),
      el('td', { class: 'num' }, g.commitIndex),
      el('td', { class: 'num' }, g.appliedIndex),
      el('td', { class: 'num' }, g.lag),
      el('td', { class: 'num' }, g.pendingAppends),
      el('td', { class: 'num' }, g.streams));
  }));
  $('#cluster-updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

// ---- metrics and charts --------------------------------------------------------------------

/** Parses the Prometheus text format into samples {name, labels, value}. */
function parseMetrics(textBody) {
  const out = [];
  for (const line of textBody.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

const sum = (samples, name) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
const has = (samples, name) => samples.some((s) => s.name === name);

/** Cumulative append-latency histogram over every group: upper bound → count. */
function latencyBuckets(samples) {
  const b = new Map();
  for (const s of samples) {
    if (s.name !== 'tributary_append_latency_seconds_bucket') continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    b.set(le, (b.get(le) || 0) + s.value);
  }
  return b;
}

/** The q-quantile (seconds) of the appends between two histogram scrapes, interpolated in its bucket. */
function quantile(prev, cur, q) {
  const bounds = [...cur.keys()].sort((a, b) => a - b);
  const total = (cur.get(Infinity) || 0) - (prev.get(Infinity) || 0);
  if (total <= 0) return null;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = (cur.get(le) || 0) - (prev.get(le) || 0);
    if (count >= q * total) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket <= 0 ? le : lower + (le - lower) * ((q * total - below) / inBucket);
    }
    lower = le;
    below = count;
  }
  return lower;
}

const COLORS = ['#1f6feb', '#cf222e', '#1a7f37', '#8250df', '#bf8700'];

/** A small hand-drawn line chart: the last CHART_POINTS_MAX points of a few named series. */
class LineChart {
  constructor(canvas, names, format) {
    this.canvas = canvas;
    this.names = names;
    this.format = format;
    this.points = names.map(() => []);
  }

  push(values) {
    values.forEach((v, i) => {
      this.points[i].push(v);
      if (this.points[i].length > CHART_POINTS_MAX) this.points[i].shift();
    });
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const g = c.getContext('2d');
    const w = c.width;
    const h = c.height;
    const left = 58;
    const top = 18;
    const bottom = h - 8;
    g.clearRect(0, 0, w, h);
    const all = this.points.flat().filter((v) => v !== null && Number.isFinite(v));
    const max = Math.max(1e-9, ...all) * 1.1;
    g.strokeStyle = '#d9dde6';
    g.fillStyle = '#6b7385';
    g.font = '11px system-ui, sans-serif';
    for (const f of [0, 0.5, 1]) {
      const y = bottom - (bottom - top) * f;
      g.beginPath();
      g.moveTo(left, y);
      g.lineTo(w - 4, y);
      g.stroke();
      g.fillText(this.format(max * f), 2, y + 4);
    }
    const step = (w - 4 - left) / (CHART_POINTS_MAX - 1);
    this.points.forEach((series, i) => {
      g.strokeStyle = COLORS[i % COLORS.length];
      g.lineWidth = 1.8;
      g.beginPath();
      let pen = false;
      series.forEach((v, j) => {
        if (v === null || !Number.isFinite(v)) { pen = false; return; }
        const x = left + (CHART_POINTS_MAX - series.length + j) * step;
        const y = bottom - (bottom - top) * (v / max);
        if (pen) g.lineTo(x, y); else g.moveTo(x, y);
        pen = true;
      });
      g.stroke();
      const last = [...series].reverse().find((v) => v !== null && Number.isFinite(v));
      g.fillStyle = COLORS[i % COLORS.length];
      g.fillText(`${this.names[i]} ${last === undefined ? '—' : this.format(last)}`, left + 4 + i * 120, 11);
    });
  }
}

const charts = {};

async function pollMetrics(signal) {
  charts.rate = charts.rate || new LineChart($('#chart-rate'), ['appends/s'], (v) => v.toFixed(v < 10 ? 1 : 0));
  charts.latency = charts.latency || new LineChart($('#chart-latency'), ['p50', 'p99'], (v) => v.toFixed(v < 10 ? 2 : 0));
  charts.bytes = charts.bytes || new LineChart($('#chart-bytes'), ['segments', 'hot', 'cold'], bytes);
  let prev = null;
  while (!signal.aborted) {
    try {
      const samples = parseMetrics(await api('/metrics', { signal, text: true }));
      const now = performance.now();
      const cur = { at: now, appends: sum(samples, 'tributary_group_appends_total'), latency: latencyBuckets(samples) };
      if (prev) {
        const dt = (cur.at - prev.at) / 1000;
        charts.rate.push([Math.max(0, (cur.appends - prev.appends) / dt)]);
        const ms = (q) => { const s = quantile(prev.latency, cur.latency, q); return s === null ? null : s * 1000; };
        charts.latency.push([ms(0.5), ms(0.99)]);
      }
      charts.bytes.push([sum(samples, 'tributary_group_segment_bytes'),
        has(samples, 'tributary_group_hot_bytes') ? sum(samples, 'tributary_group_hot_bytes') : null,
        has(samples, 'tributary_group_cold_bytes') ? sum(samples, 'tributary_group_cold_bytes') : null]);
      prev = cur;
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    await sleep(METRICS_POLL_MS, signal);
  }
}

// ---- start ---------------------------------------------------------------------------------

function wireToken() {
  $('#token').value = token();
  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value.trim());
    route();
  });
  $('#token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#token').value = '';
    route();
  });
}

wireToken();
wireStreamsForm();
window.addEventListener('hashchange', route);
route();
api('/admin/cluster').then((c) => { $('#node-id').textContent = c.node; }).catch(() => {});
