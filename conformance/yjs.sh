#!/usr/bin/env bash
# Story test: collaborative editing with Yjs on a 3-node Tributary cluster (conformance/yjs/story.mjs).
# Starts the cluster, runs the story (a Yjs server of @durable-streams/y-durable-streams in front of
# each node; two editors through different nodes edit concurrently and converge; the Yjs server
# compacts; a late joiner loads the snapshot and the updates after it and converges), stops the
# cluster. Exits non-zero with the story's reason and the nodes' log tails on failure.
#
# usage: conformance/yjs.sh        env: YJS_BUDGET_SECONDS (default 150, cluster start included),
#                                       YJS_SEED (replays a run: the story prints its seed)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUDGET="${YJS_BUDGET_SECONDS:-150}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-yjs.XXXXXX")"
mkdir -p "$HERE/results"
CLUSTER_LOG="$HERE/results/yjs-cluster.log"
CLUSTER_PID=""
log() { echo "yjs.sh: $*" >&2; }
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
    echo "yjs.sh: FAILED (see above; cluster log: $CLUSTER_LOG)"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
deadline=$((SECONDS + BUDGET))

# the story's own npm package (pinned by its package-lock.json), installed when missing or stale
if [ ! -d "$HERE/yjs/node_modules" ] || [ "$HERE/yjs/package-lock.json" -nt "$HERE/yjs/node_modules/.package-lock.json" ]; then
  log "installing the story's npm dependencies"
  (cd "$HERE/yjs" && npm ci --no-audit --no-fund --loglevel=error)
fi

BASE="$(node "$HERE/scripts/free-port-block.mjs" 3)" || { log "no free block of ports below the ephemeral range"; exit 1; }
log "starting a 3-node cluster at base port $BASE (log: $CLUSTER_LOG)"
setsid "$ROOT/tributary" cluster --nodes 3 --base-port "$BASE" --data-dir "$WORK/data" \
  --long-poll-timeout-ms 500 >"$CLUSTER_LOG" 2>&1 </dev/null &
CLUSTER_PID=$!
URLS=()
for i in 1 2 3; do URLS+=("http://127.0.0.1:$(( BASE + 10 * (i - 1) ))"); done
for u in "${URLS[@]}"; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz" || true)" = 200 ]; do
    kill -0 "$CLUSTER_PID" 2>/dev/null || { log "cluster exited"; tail -n 40 "$CLUSTER_LOG"; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "$u not ready within the budget of $BUDGET s"; exit 1; }
    sleep 0.5
  done
done
left=$((deadline - SECONDS))
[ "$left" -gt 10 ] || { log "the cluster took the whole budget to start"; exit 1; }
log "cluster ready; running the story (at most $left s)"
IFS=,; NODE_LIST="${URLS[*]}"; unset IFS
node "$HERE/yjs/story.mjs" --nodes "$NODE_LIST" --budget-ms "$((left * 1000))" ${YJS_SEED:+--seed "$YJS_SEED"}
