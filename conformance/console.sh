#!/usr/bin/env bash
# Browser test of the web console (docs/console.md) on a 3-node Tributary cluster
# (conformance/console/story.mjs): in headless Chromium, open the console on a node's admin
# listener, search for a stream and open it, watch records appended through a client listener
# appear live, then open the cluster view, kill a group's leader and see the page show another
# leader. Saves results/console-stream.png and results/console-cluster.png (docs/img/ keeps copies).
# Installs Debian's chromium when /usr/bin/chromium is missing (CI runs as root on a fresh Debian
# machine). Exits non-zero with the story's reason and the nodes' log tails on failure.
#
# usage: conformance/console.sh        env: CONSOLE_BUDGET_SECONDS (default 170, cluster start and
#                                           browser install included), CHROMIUM (default /usr/bin/chromium)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUDGET="${CONSOLE_BUDGET_SECONDS:-170}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-console.XXXXXX")"
mkdir -p "$HERE/results"
CLUSTER_LOG="$HERE/results/console-nodes.log"
CLUSTER_PID=""
log() { echo "console.sh: $*" >&2; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CLUSTER_PID" ]; then
    kill -TERM -- "-$CLUSTER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$CLUSTER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$CLUSTER_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ]; then
    for f in "$WORK"/data/n*/node.log; do
      echo "---- $f (last 25 lines without stack frames)"; grep -v -E '^\s+at |^\s*\.\.\. [0-9]+ more' "$f" | tail -n 25
    done 2>/dev/null || true
    echo "console.sh: FAILED (see above; cluster log: $CLUSTER_LOG; a failure screenshot, if any: $HERE/results/console-failure.png)"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
deadline=$((SECONDS + BUDGET))

if [ ! -x "$CHROMIUM" ]; then
  [ "$(id -u)" = 0 ] || { log "$CHROMIUM is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM"; exit 1; }
  log "installing Debian's chromium"
  timeout 300 apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# the story's own npm package (playwright-core, pinned by package-lock.json; it drives the
# system's chromium and downloads no browser), installed when missing or stale
if [ ! -d "$HERE/console/node_modules" ] || [ "$HERE/console/package-lock.json" -nt "$HERE/console/node_modules/.package-lock.json" ]; then
  log "installing the story's npm dependencies"
  (cd "$HERE/console" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

BASE="$(node "$HERE/scripts/free-port-block.mjs" 3)" || { log "no free block of ports below the ephemeral range"; exit 1; }
log "starting a 3-node cluster at base port $BASE (log: $CLUSTER_LOG)"
setsid "$ROOT/tributary" cluster --nodes 3 --base-port "$BASE" --data-dir "$WORK/data" \
  --long-poll-timeout-ms 2000 >"$CLUSTER_LOG" 2>&1 </dev/null &
CLUSTER_PID=$!
URLS=()
ADMINS=()
for i in 1 2 3; do
  URLS+=("http://127.0.0.1:$(( BASE + 10 * (i - 1) ))")
  ADMINS+=("http://127.0.0.1:$(( BASE + 10 * (i - 1) + 3 ))") # the admin listener (tributary cluster)
done
for u in "${URLS[@]}"; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz" || true)" = 200 ]; do
    kill -0 "$CLUSTER_PID" 2>/dev/null || { log "cluster exited"; tail -n 40 "$CLUSTER_LOG"; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "$u not ready within the budget of $BUDGET s"; exit 1; }
    sleep 0.5
  done
done
# each node's process id, from the launcher's line per node: "n1  http://...  admin http://...  pid 1234  log ..."
PIDS=()
for i in 1 2 3; do
  pid="$(sed -n "s/^n$i .* pid \([0-9][0-9]*\) .*/\1/p" "$CLUSTER_LOG" | head -n 1)"
  [ -n "$pid" ] || { log "no pid for n$i in $CLUSTER_LOG"; exit 1; }
  PIDS+=("$pid")
done
left=$((deadline - SECONDS))
[ "$left" -gt 30 ] || { log "the cluster took the whole budget to start"; exit 1; }
log "cluster ready (pids ${PIDS[*]}); running the story (at most $left s)"
IFS=,; NODE_LIST="${URLS[*]}"; ADMIN_LIST="${ADMINS[*]}"; PID_LIST="${PIDS[*]}"; unset IFS
node "$HERE/console/story.mjs" --nodes "$NODE_LIST" --admins "$ADMIN_LIST" --pids "$PID_LIST" \
  --results "$HERE/results" --budget-ms "$((left * 1000))" --chromium "$CHROMIUM"
