#!/usr/bin/env bash
# Runs the upstream Durable Streams conformance suite and/or the real-client
# integration test against a Tributary server (or any Durable Streams server).
#
# usage: conformance/run.sh [conformance|client|all] [extra vitest args...]
#
#   all (default)  both suites
#   conformance    @durable-streams/server-conformance-tests (332 tests by default)
#   client         tests/client.test.ts (@durable-streams/client against the server)
#
# Server:
#   TRIBUTARY_URL=http://127.0.0.1:4437   use an already running server (origin only, no path)
#   otherwise a server is started on a free loopback port with
#     ${TRIBUTARY_LAUNCH:-<repo>/tributary server} --host 127.0.0.1 --port P --admin-port A \
#       --data-dir <tmp>/data --long-poll-timeout-ms ${TRIBUTARY_LONG_POLL_MS:-500}
#   and stopped (with its children) on exit. Its log: conformance/results/server.log
#
# Other env:
#   TRIBUTARY_STARTUP_TIMEOUT  seconds to wait for GET /healthz == 200 (default 120;
#                              the first run builds the project)
#   CONFORMANCE_SUBSCRIPTIONS=1  also run the opt-in subscription tests (expects 338)
#   CONFORMANCE_LONG_POLL_MS   passed to runConformanceTests({ longPollTimeoutMs })
#   CONFORMANCE_EXPECTED       minimum number of conformance tests that must run
#                              (default 332; 338 with subscriptions; 1 when extra
#                              vitest args such as -t are given)
#   TRIBUTARY_SECURE=1         (with a server run.sh starts) serve HTTPS with a development CA
#                              (tributary certs) and require a bearer token: an HS256 JWT
#                              granting *:* is minted, sent by the conformance suite (a fetch
#                              wrapper) and by the client tests (the client's headers option)
#   TRIBUTARY_TOKEN            bearer token for an already running server (TRIBUTARY_URL);
#                              NODE_EXTRA_CA_CERTS names the CA of an https one
#   KEEP_DATA=1                keep the temporary data directory
#   CONFORMANCE_AFTER          a shell command run after the tests, while the server
#                              still runs (TRIBUTARY_URL is exported, and TRIBUTARY_ADMIN_URL,
#                              the admin listener, when run.sh started the server), e.g. to
#                              read /metrics
#
# Prints one line per suite: "<suite>: N passed, N failed, N skipped". Exits
# non-zero if any test failed, if fewer tests ran than expected, or on setup errors.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; }
log() { echo "run.sh: $*" >&2; }

MODE="${1:-all}"
[ $# -gt 0 ] && shift
case "$MODE" in
  conformance) SUITES="conformance"; FILES=(tests/conformance.test.ts) ;;
  client)      SUITES="client";      FILES=(tests/client.test.ts) ;;
  all)         SUITES="conformance,client"; FILES=(tests/conformance.test.ts tests/client.test.ts) ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
EXTRA_ARGS=("$@")
if [ ${#EXTRA_ARGS[@]} -gt 0 ] && [ -z "${CONFORMANCE_EXPECTED:-}" ]; then
  export CONFORMANCE_EXPECTED=1 # filtered run: only require that something ran
fi

# --- Node -------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "node and npm are required (Node >= 20.19)"; exit 2
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  log "Node $(node -v) is too old: vitest 4 / vite 8 need Node >= 20.19"; exit 2
fi

RESULTS="$HERE/results"
mkdir -p "$RESULTS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-conformance.XXXXXX")"
SERVER_PID=""
SERVER_LOG="$RESULTS/server.log"
USE_SETSID=0

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local pid="$SERVER_PID"
  SERVER_PID=""
  if [ "$USE_SETSID" = 1 ]; then
    # The server runs in its own process group (pgid == pid): signal the group
    # so children (e.g. a JVM behind a wrapper, a build) go too.
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  else
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  if [ "${KEEP_DATA:-0}" = 1 ]; then log "kept data in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints the HTTP status of a GET (000 if no response).
http_status() {
  node -e '
    const ac = new AbortController(); setTimeout(() => ac.abort(), 3000).unref();
    fetch(process.argv[1], { signal: ac.signal })
      .then(r => { console.log(r.status); return r.body?.cancel(); })
      .catch(() => console.log("000"))' "$1" 2>/dev/null || echo 000
}

# --- dependencies -----------------------------------------------------------
install_deps() {
  cd "$HERE"
  local want have stamp="node_modules/.tributary-deps-stamp"
  want="$(node -e '
    const fs = require("fs"), h = require("crypto").createHash("sha256");
    for (const f of ["package.json", "package-lock.json"]) if (fs.existsSync(f)) h.update(fs.readFileSync(f));
    h.update(process.versions.node.split(".")[0]); console.log(h.digest("hex"))')"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [ -d node_modules ] && [ "$want" = "$have" ] && [ -x node_modules/.bin/vitest ]; then
    return 0
  fi
  if [ -f package-lock.json ]; then
    log "installing test dependencies (npm ci) ..."
    npm ci --no-audit --no-fund --loglevel=error >"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log" >&2; log "npm ci failed"; exit 2; }
  else
    log "installing test dependencies (npm install, no lockfile) ..."
    npm install --no-audit --no-fund --loglevel=error >"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log" >&2; log "npm install failed"; exit 2; }
    want="$(node -e '
      const fs = require("fs"), h = require("crypto").createHash("sha256");
      for (const f of ["package.json", "package-lock.json"]) if (fs.existsSync(f)) h.update(fs.readFileSync(f));
      h.update(process.versions.node.split(".")[0]); console.log(h.digest("hex"))')"
  fi
  echo "$want" >"$stamp"
}
install_deps

# --- server -----------------------------------------------------------------
print_server_log() {
  if [ -f "$SERVER_LOG" ] && [ "${STARTED_SERVER:-0}" = 1 ]; then
    echo "---- server log (last ${1:-80} lines of $SERVER_LOG) ----"
    tail -n "${1:-80}" "$SERVER_LOG"
    echo "---- end of server log ----"
  fi
}

STARTED_SERVER=0
if [ -n "${TRIBUTARY_URL:-}" ]; then
  TRIBUTARY_URL="${TRIBUTARY_URL%/}"
  if [[ "$TRIBUTARY_URL" =~ ^https?://[^/]+/.+ ]]; then
    log "warning: TRIBUTARY_URL has a path; the suite expects an origin (fork tests send Stream-Forked-From: /v1/stream/...)"
  fi
  log "using server at $TRIBUTARY_URL"
  deadline=$((SECONDS + ${TRIBUTARY_STARTUP_TIMEOUT:-30}))
  until [ "$(http_status "$TRIBUTARY_URL/healthz")" != 000 ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "no HTTP response from $TRIBUTARY_URL"; exit 1; fi
    sleep 0.5
  done
else
  PORT="$(node -e 'const s=require("net").createServer(); s.listen(0,"127.0.0.1",()=>{console.log(s.address().port); s.close()})')"
  LP_MS="${TRIBUTARY_LONG_POLL_MS:-500}"
  if [ -n "${TRIBUTARY_LAUNCH:-}" ]; then
    LAUNCH="$TRIBUTARY_LAUNCH"
  else
    LAUNCH="$(printf '%q' "$ROOT/tributary") server"
  fi
  mkdir -p "$WORK/data"
  ADMIN_PORT="$(node -e 'const s=require("net").createServer(); s.listen(0,"127.0.0.1",()=>{console.log(s.address().port); s.close()})')"
  # loopback webhooks: the subscription tests run their webhook receiver on 127.0.0.1
  SERVER_ARGS=(--host 127.0.0.1 --port "$PORT" --admin-port "$ADMIN_PORT" --data-dir "$WORK/data" --long-poll-timeout-ms "$LP_MS"
    --webhook-loopback-allowed true)
  SCHEME=http
  if [ "${TRIBUTARY_SECURE:-0}" = 1 ]; then
    # HTTPS from a fresh development CA, and authentication with a shared HS256 secret
    "$ROOT/tributary" certs --out "$WORK/certs" --node n1=127.0.0.1,localhost >"$WORK/certs.log" 2>&1 \
      || { cat "$WORK/certs.log" >&2; log "tributary certs failed"; exit 1; }
    node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' >"$WORK/hs256.secret"
    TRIBUTARY_TOKEN="$(node "$HERE/scripts/mint-jwt.mjs" "$WORK/hs256.secret" '*:*' 'admin:*')"
    export TRIBUTARY_TOKEN NODE_EXTRA_CA_CERTS="$WORK/certs/ca.crt"
    # with authentication on, no origin may read responses unless named; the suite checks the
    # CORS answers a browser client needs, so this deployment grants them to any origin (bearer
    # tokens are not cookies: a page can only send a token it already holds)
    SERVER_ARGS+=(--tls-cert-file "$WORK/certs/n1.crt" --tls-key-file "$WORK/certs/n1.key"
      --auth-hs256-secret-file "$WORK/hs256.secret" --cors-origins '*')
    SCHEME=https
    log "secure mode: HTTPS (CA $WORK/certs/ca.crt) and a bearer token on every request"
  fi
  export TRIBUTARY_ADMIN_URL="$SCHEME://127.0.0.1:$ADMIN_PORT"
  log "starting server: $LAUNCH ${SERVER_ARGS[*]}"
  log "server log: $SERVER_LOG"
  : >"$SERVER_LOG"
  if command -v setsid >/dev/null 2>&1; then
    USE_SETSID=1
    setsid bash -c "$LAUNCH \"\$@\"" tributary-server "${SERVER_ARGS[@]}" >"$SERVER_LOG" 2>&1 </dev/null &
  else
    bash -c "$LAUNCH \"\$@\"" tributary-server "${SERVER_ARGS[@]}" >"$SERVER_LOG" 2>&1 </dev/null &
  fi
  SERVER_PID=$!
  STARTED_SERVER=1
  TRIBUTARY_URL="$SCHEME://127.0.0.1:$PORT"
  timeout_s="${TRIBUTARY_STARTUP_TIMEOUT:-120}"
  deadline=$((SECONDS + timeout_s))
  until [ "$(http_status "$TRIBUTARY_URL/healthz")" = 200 ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
      SERVER_PID=""
      log "server exited during startup (exit $rc)"
      print_server_log 80
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "server did not answer GET /healthz with 200 within ${timeout_s}s"
      print_server_log 80
      exit 1
    fi
    sleep 0.5
  done
  log "server ready at $TRIBUTARY_URL (pid $SERVER_PID)"
fi
export TRIBUTARY_URL

# --- tests ------------------------------------------------------------------
cd "$HERE"
REPORT="$RESULTS/$MODE.json"
rm -f "$REPORT"
set +e
CONFORMANCE_REPORT_FILE="$REPORT" ./node_modules/.bin/vitest run "${FILES[@]}" ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"}
VITEST_RC=$?
[ -z "${CONFORMANCE_AFTER:-}" ] || bash -c "$CONFORMANCE_AFTER" || log "CONFORMANCE_AFTER failed"
set -e

echo
echo "==== summary ($TRIBUTARY_URL) ===="
set +e
node scripts/summarize.mjs "$REPORT" "$SUITES"
SUMMARY_RC=$?
set -e
if [ "$SUMMARY_RC" = 0 ] && [ "$VITEST_RC" != 0 ]; then
  echo "NOTE vitest exited with status $VITEST_RC although no test failed (unhandled errors?)"
  SUMMARY_RC=1
fi
if [ "$SUMMARY_RC" != 0 ]; then
  if [ "$STARTED_SERVER" = 1 ]; then
    print_server_log 60
  else
    echo "(server at $TRIBUTARY_URL was not started by run.sh; check its own log)"
  fi
  echo "JSON report: $REPORT"
  exit 1
fi
echo "JSON report: $REPORT"
