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
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
NAME=console
STORY_FAILURE_HINT="; a failure screenshot, if any: $HERE/results/console-failure.png"
. "$HERE/scripts/story-cluster.sh"
story_init "${CONSOLE_BUDGET_SECONDS:-170}"

if [ ! -x "$CHROMIUM" ]; then
  [ "$(id -u)" = 0 ] || { log "$CHROMIUM is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM"; exit 1; }
  log "installing Debian's chromium"
  timeout 300 apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# the story's own npm package (playwright-core, pinned by package-lock.json; it drives the
# system's chromium and downloads no browser), installed when missing or stale
story_npm "$HERE/console" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

story_cluster 2000
ADMINS=()
for i in 1 2 3; do ADMINS+=("http://127.0.0.1:$(( BASE + 10 * (i - 1) + 3 ))"); done # the admin listeners (tributary cluster)
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
