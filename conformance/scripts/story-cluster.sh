# Shared by the story scripts (yjs.sh, console.sh): a work directory, a log function, a 3-node
# cluster started with `tributary cluster` and stopped (with its nodes' log tails on failure) when
# the script exits, and the story's own npm package installed when missing or stale.
#
# usage, after `set -euo pipefail`: NAME=yjs; . "$HERE/scripts/story-cluster.sh"
#   story_init BUDGET_SECONDS          WORK, CLUSTER_LOG, deadline; cleanup on exit
#   story_npm DIR [ENV=VALUE ...]      npm ci in DIR when its node_modules is missing or stale
#   story_cluster LONG_POLL_MS         starts the cluster, waits for every node's /readyz;
#                                      sets BASE, CLUSTER_PID and URLS (the client listeners)
# shellcheck shell=bash

log() { echo "$NAME.sh: $*" >&2; }

story_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${CLUSTER_PID:-}" ]; then
    kill -TERM -- "-$CLUSTER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$CLUSTER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$CLUSTER_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ]; then
    for f in "$WORK"/data/n*/node.log; do
      echo "---- $f (last 25 lines without stack frames)"; grep -v -E '^\s+at |^\s*\.\.\. [0-9]+ more' "$f" | tail -n 25
    done 2>/dev/null || true
    echo "$NAME.sh: FAILED (see above; cluster log: $CLUSTER_LOG${STORY_FAILURE_HINT:-})"
  fi
  rm -rf "$WORK"
  exit "$rc"
}

story_init() {
  BUDGET="$1"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-$NAME.XXXXXX")"
  mkdir -p "$HERE/results"
  CLUSTER_LOG="$HERE/results/$NAME-cluster.log"
  CLUSTER_PID=""
  trap story_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  deadline=$((SECONDS + BUDGET))
}

story_npm() {
  local dir="$1"; shift
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing the story's npm dependencies"
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund --loglevel=error)
  fi
}

story_cluster() {
  BASE="$(node "$HERE/scripts/free-port-block.mjs" 3)" || { log "no free block of ports below the ephemeral range"; exit 1; }
  log "starting a 3-node cluster at base port $BASE (log: $CLUSTER_LOG)"
  setsid "$ROOT/tributary" cluster --nodes 3 --base-port "$BASE" --data-dir "$WORK/data" \
    --long-poll-timeout-ms "$1" >"$CLUSTER_LOG" 2>&1 </dev/null &
  CLUSTER_PID=$!
  URLS=()
  for i in 1 2 3; do URLS+=("http://127.0.0.1:$(( BASE + 10 * (i - 1) ))"); done
  local u
  for u in "${URLS[@]}"; do
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz" || true)" = 200 ]; do
      kill -0 "$CLUSTER_PID" 2>/dev/null || { log "cluster exited"; tail -n 40 "$CLUSTER_LOG"; exit 1; }
      [ "$SECONDS" -lt "$deadline" ] || { log "$u not ready within the budget of $BUDGET s"; exit 1; }
      sleep 0.5
    done
  done
}
