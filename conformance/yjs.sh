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
NAME=yjs
. "$HERE/scripts/story-cluster.sh"
story_init "${YJS_BUDGET_SECONDS:-150}"

# the story's own npm package (pinned by its package-lock.json), installed when missing or stale
story_npm "$HERE/yjs"
story_cluster 500
left=$((deadline - SECONDS))
[ "$left" -gt 10 ] || { log "the cluster took the whole budget to start"; exit 1; }
log "cluster ready; running the story (at most $left s)"
IFS=,; NODE_LIST="${URLS[*]}"; unset IFS
node "$HERE/yjs/story.mjs" --nodes "$NODE_LIST" --budget-ms "$((left * 1000))" ${YJS_SEED:+--seed "$YJS_SEED"}
