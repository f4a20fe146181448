// A routing proxy for cluster conformance runs: every request for a stream is sent to a node that
// is NOT the current leader of the stream's Raft group (found from each node's admin listener,
// /admin/cluster), so the suite
// exercises forwarding of writes and follower reads. Requests that are not for a stream
// (health, unknown paths) go to the first node.
//
// usage: node follower-proxy.mjs --port P --nodes http://127.0.0.1:A,... --admins http://127.0.0.1:A3,... [--groups G]
//        [--tls-cert F --tls-key F]
//        (--groups: the cluster's group count; default: as many as /admin/cluster lists;
//        --admins: each node's admin listener, in the order of --nodes; https node URLs are trusted
//        through NODE_EXTRA_CA_CERTS; with --tls-cert/--tls-key the proxy itself serves HTTPS, so a
//        client speaks TLS end to end; TRIBUTARY_TOKEN, when set, is the bearer token of its admin
//        queries; a client's own Authorization header is passed through unchanged)
// On SIGTERM/SIGINT it prints its routing statistics as one JSON line to stdout and exits.
import http from "node:http";
import https from "node:https";
import fs from "node:fs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const nodes = args.nodes.split(",").map((u) => new URL(u));
const admins = args.admins.split(",").map((u) => new URL(u));
if (admins.length !== nodes.length) throw new Error("--admins must list one admin URL per node");
let groups = args.groups === undefined ? 0 : Number(args.groups); // 0: learnt from /admin/cluster
const upstreamTls = nodes[0].protocol === "https:";
const agent = new (upstreamTls ? https : http).Agent({ keepAlive: true, maxSockets: 256 });
const adminHeaders = process.env.TRIBUTARY_TOKEN ? { authorization: `Bearer ${process.env.TRIBUTARY_TOKEN}` } : {};
const stats = { streamRequests: 0, toFollower: 0, toLeader: 0, leaderUnknown: 0, other: 0, errors: 0 };
let leaders = new Map(); // group -> node id
let nodeIds = new Map(); // node id -> URL
let rr = 0;

function fnv1a64(s) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

async function refresh() {
  for (const [i, n] of nodes.entries()) {
    try {
      const r = await fetch(new URL("/admin/cluster", admins[i]), {
        headers: adminHeaders,
        signal: AbortSignal.timeout(2000),
      });
      if (!r.ok) continue;
      const body = await r.json();
      nodeIds.set(body.node, n);
      const next = new Map();
      for (const g of body.groups) if (g.leader && g.leader !== "null") next.set(g.group, g.leader);
      if (groups === 0) groups = body.groups.length;
      if (next.size === groups) leaders = next;
    } catch {
      /* node down or busy: keep the previous view */
    }
  }
}

// The name that decides placement (docs/http-api.md): the stream name without a "/$extension"
// suffix, or its affinity key ("@key" first segment) when it has one.
function placementName(name) {
  const d = name.startsWith("$") ? 0 : name.indexOf("/$");
  const stream = d >= 0 ? name.slice(0, d) : name;
  if (!stream.startsWith("@")) return stream;
  const slash = stream.indexOf("/");
  return slash < 0 ? stream : stream.slice(0, slash);
}

function streamKey(url) {
  const path = url.split("?")[0];
  for (const [prefix, bucket] of [["/v1/stream/", "default"], ["/streams/", "default"]]) {
    if (path.startsWith(prefix)) {
      const name = decodeURIComponent(path.slice(prefix.length));
      return name.startsWith("__ds") ? null : `${bucket}/${placementName(name)}`;
    }
  }
  if (path.startsWith("/ds/")) {
    const rest = decodeURIComponent(path.slice(4));
    const slash = rest.indexOf("/");
    return slash > 0 ? `${rest.slice(0, slash)}/${placementName(rest.slice(slash + 1))}` : null;
  }
  return null;
}

function pickTarget(url) {
  const key = streamKey(url);
  if (key === null) {
    stats.other++;
    return nodes[0];
  }
  stats.streamRequests++;
  const leader = groups === 0 ? undefined : leaders.get(Number(fnv1a64(key) % BigInt(groups)));
  const candidates = nodes.filter((n) => nodeIds.get(leader)?.href !== n.href);
  if (leader === undefined || candidates.length === nodes.length) stats.leaderUnknown++;
  else stats.toFollower++;
  return candidates[rr++ % candidates.length];
}

const handler = (req, res) => {
  const target = pickTarget(req.url);
  const upstream = (upstreamTls ? https : http).request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (up) => {
      res.writeHead(up.statusCode, up.rawHeaders);
      up.pipe(res);
    },
  );
  upstream.on("error", () => {
    stats.errors++;
    if (!res.headersSent) res.writeHead(502).end("proxy: upstream error");
    else res.destroy();
  });
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
};
const server = args["tls-cert"]
  ? https.createServer({ cert: fs.readFileSync(args["tls-cert"]), key: fs.readFileSync(args["tls-key"]) }, handler)
  : http.createServer(handler);

await refresh();
setInterval(refresh, 200).unref();
server.keepAliveTimeout = 60_000;
server.listen(Number(args.port), "127.0.0.1", () => console.error(`follower-proxy on ${args.port} -> ${args.nodes}`));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    console.log(JSON.stringify({ ...stats, leaders: Object.fromEntries(leaders) }));
    process.exit(0);
  });
}
