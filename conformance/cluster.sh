#!/usr/bin/env bash
# Runs the conformance suite against a local 3-node Tributary cluster with every stream request
# routed to a node that is NOT the leader of the stream's Raft group (scripts/follower-proxy.mjs),
# so writes are forwarded and reads are served by followers. Fails if any request reached a leader.
#
# usage: conformance/cluster.sh [conformance|client|all] [extra vitest args...]
#   env: NODES (default 3)
#        TRIBUTARY_SECURE=1  the cluster as it would face the internet: a development CA (tributary
#          certs) gives every node a certificate, the client and admin listeners serve HTTPS, the
#          peer plane (Raft port and peer data listener) speaks mutual TLS, every request needs a
#          bearer token (an HS256 JWT granting *:* and admin:*), and the routing proxy serves
#          HTTPS itself, so the suite and the client speak TLS end to end
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
NODES="${NODES:-3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-cluster.XXXXXX")"
mkdir -p "$HERE/results"
CLUSTER_LOG="$HERE/results/cluster.log"
CLUSTER_PID=""
PROXY_PID=""
STATS=""
log() { echo "cluster.sh: $*" >&2; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$PROXY_PID" ] && kill -TERM "$PROXY_PID" 2>/dev/null || true
  if [ -n "$CLUSTER_PID" ]; then
    kill -TERM -- "-$CLUSTER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$CLUSTER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$CLUSTER_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ]; then
    # node logs first (without stack frames), the suite's verdict last: CI shows only the tail
    for f in "$WORK"/data/n*/node.log; do
      echo "---- $f (last 25 lines without stack frames)"; grep -v -E '^\s+at |^\s*\.\.\. [0-9]+ more' "$f" | tail -n 25
    done 2>/dev/null || true
    if [ -f "$WORK/suite.out" ]; then
      echo "---- conformance verdict"; sed -n '/==== summary/,$p' "$WORK/suite.out"
      grep -E '(FAIL|✗|×) ' "$WORK/suite.out" | head -n 20 || true
    fi
    [ -z "$STATS" ] || echo "---- routing: $STATS"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { node -e 'const s=require("net").createServer(); s.listen(0,"127.0.0.1",()=>{console.log(s.address().port); s.close()})'; }
free_block() { node "$HERE/scripts/free-port-block.mjs" "$1"; } # see the script for why below the ephemeral range
BASE="$(free_block "$NODES")" || { log "no free block of ports below the ephemeral range"; exit 1; }
SUITE="${1:-conformance}"
case "$SUITE" in conformance|client|all) shift || true ;; *) SUITE=conformance ;; esac
SCHEME=http
SECURE_ARGS=()
PROXY_TLS=()
CURL=(curl -s)
if [ "${TRIBUTARY_SECURE:-0}" = 1 ]; then
  CERT_ARGS=(--node proxy=127.0.0.1,localhost)
  for i in $(seq 1 "$NODES"); do CERT_ARGS+=(--node "n$i=127.0.0.1,localhost"); done
  "$ROOT/tributary" certs --out "$WORK/certs" "${CERT_ARGS[@]}" >"$WORK/certs.log" 2>&1 \
    || { cat "$WORK/certs.log" >&2; log "tributary certs failed"; exit 1; }
  node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' >"$WORK/hs256.secret"
  TRIBUTARY_TOKEN="$(node "$HERE/scripts/mint-jwt.mjs" "$WORK/hs256.secret" '*:*' 'admin:*')"
  export TRIBUTARY_TOKEN NODE_EXTRA_CA_CERTS="$WORK/certs/ca.crt"
  # {node} becomes each node's id (tributary cluster): its own certificate on every plane
  SECURE_ARGS=(--tls-cert-file "$WORK/certs/{node}.crt" --tls-key-file "$WORK/certs/{node}.key"
    --peer-tls-cert-file "$WORK/certs/{node}.crt" --peer-tls-key-file "$WORK/certs/{node}.key"
    --peer-tls-ca-file "$WORK/certs/ca.crt" --auth-hs256-secret-file "$WORK/hs256.secret" --cors-origins '*')
  PROXY_TLS=(--tls-cert "$WORK/certs/proxy.crt" --tls-key "$WORK/certs/proxy.key")
  CURL=(curl -s --cacert "$WORK/certs/ca.crt" -H "Authorization: Bearer $TRIBUTARY_TOKEN")
  SCHEME=https
  log "secure mode: HTTPS on every client and admin listener, mutual TLS between peers, a bearer token on every request"
fi
log "starting a $NODES-node cluster at base port $BASE (log: $CLUSTER_LOG)"
setsid "$ROOT/tributary" cluster --nodes "$NODES" --base-port "$BASE" --data-dir "$WORK/data" \
  --long-poll-timeout-ms 500 --webhook-loopback-allowed true "${SECURE_ARGS[@]}" >"$CLUSTER_LOG" 2>&1 </dev/null &
CLUSTER_PID=$!
URLS=()
ADMINS=()
for i in $(seq 1 "$NODES"); do
  URLS+=("$SCHEME://127.0.0.1:$(( BASE + 10 * (i - 1) ))")
  ADMINS+=("$SCHEME://127.0.0.1:$(( BASE + 10 * (i - 1) + 3 ))") # the admin listener (tributary cluster)
done
deadline=$((SECONDS + ${TRIBUTARY_STARTUP_TIMEOUT:-180}))
for u in "${URLS[@]}"; do
  until [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$u/readyz" || true)" = 200 ]; do
    kill -0 "$CLUSTER_PID" 2>/dev/null || { log "cluster exited"; cat "$CLUSTER_LOG"; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "$u not ready in time"; exit 1; }
    sleep 0.5
  done
done
# wait until leadership settled on the preferred (priority) nodes: no leader changes for 3 s
prev=""; stable=0
while [ "$stable" -lt 6 ] && [ "$SECONDS" -lt "$deadline" ]; do
  cur="$("${CURL[@]}" "${ADMINS[0]}/admin/groups" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).map(g=>g.leader).join(",")))')"
  if [ "$cur" = "$prev" ] && [[ "$cur" != *null* ]]; then stable=$((stable + 1)); else stable=0; fi
  prev="$cur"; sleep 0.5
done
log "leaders by group: $prev"
PROXY_PORT="$(free_port)"
IFS=,; NODE_LIST="${URLS[*]}"; ADMIN_LIST="${ADMINS[*]}"; unset IFS
node "$HERE/scripts/follower-proxy.mjs" --port "$PROXY_PORT" --nodes "$NODE_LIST" --admins "$ADMIN_LIST" \
  "${PROXY_TLS[@]}" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PROXY_PID=$!
until [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$SCHEME://127.0.0.1:$PROXY_PORT/healthz" || true)" = 200 ]; do sleep 0.2; done
rc=0
set +e
# Through a follower every write is forwarded to its group's leader and committed by two nodes on
# this box: the suite's sequential property tests (25 runs x up to 16 requests) took 2.6 s on an
# idle 2-core box and 4.0-5.0 s beside one busy core, against vitest's 5 s per-test default (CI
# failed once on "offsets are always monotonically increasing" that way). What they check is order
# and visibility, not speed: the cluster's latency targets live in docs/benchmarks.md.
export CONFORMANCE_TEST_TIMEOUT_MS="${CONFORMANCE_TEST_TIMEOUT_MS:-20000}"
TRIBUTARY_URL="$SCHEME://127.0.0.1:$PROXY_PORT" "$HERE/run.sh" "$SUITE" "$@" 2>&1 | tee "$WORK/suite.out"
rc=${PIPESTATUS[0]}
set -e
kill -TERM "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
stats="$(tail -n 1 "$WORK/proxy.out")"
STATS="$stats"
log "routing: $stats"
node -e '
  const s = JSON.parse(process.argv[1]);
  if (s.streamRequests === 0) { console.error("cluster.sh: no stream requests were routed"); process.exit(1); }
  if (s.toLeader !== 0 || s.leaderUnknown !== 0) { console.error("cluster.sh: some requests were not routed to a follower"); process.exit(1); }
  console.log(`cluster conformance: ${s.toFollower} stream requests, all to followers of their group`);
' "$stats" || rc=1
exit "$rc"
