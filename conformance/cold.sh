#!/usr/bin/env bash
# Runs the conformance suite against a single node that tiers to S3 (s3proxy, a real S3 API
# server, started out of process) with an aggressive policy: every append is uploaded as soon as
# the tiering task sees it, every tiered range is read from the object store, a read of bytes not
# yet tiered waits for the tier to upload them (cold-reads-wait-ms), and local segments are dropped
# as soon as they are tiered. So almost every read the suite makes is a cold read (checked: >= 90%).
#
# usage: conformance/cold.sh [extra vitest args...]
# needs: tributary-testkit/target/s3proxy.cp (any reactor build writes it), node, a JDK >= 21.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
. "$ROOT/bin/find-java.sh"
CP_FILE="$ROOT/tributary-testkit/target/s3proxy.cp"
[ -f "$CP_FILE" ] || { echo "cold.sh: $CP_FILE missing: build first (./mvnw -B -ntp package -DskipTests)" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tributary-cold.XXXXXX")"
mkdir -p "$HERE/results" "$WORK/s3/tributary"
S3_LOG="$HERE/results/s3proxy-cold.log"
S3_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$S3_PID" ] && kill -KILL "$S3_PID" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { node -e 'const s=require("net").createServer(); s.listen(0,"127.0.0.1",()=>{console.log(s.address().port); s.close()})'; }
S3_PORT="${S3_PORT:-$(free_port)}"
KEY=tributary-cold-access
SECRET=tributary-cold-secret
cat >"$WORK/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$KEY
s3proxy.credential=$SECRET
jclouds.provider=filesystem
jclouds.filesystem.basedir=$WORK/s3
EOF
# s3proxy logs every request at DEBUG by default (160+ MB per run, and CPU): WARN only
cat >"$WORK/logback-warn.xml" <<'XML'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
XML
# the filesystem backend's buckets are directories: "tributary" exists already
"$JAVA_HOME/bin/java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow -Dlogback.configurationFile="$WORK/logback-warn.xml" -cp "$(cat "$CP_FILE")" org.gaul.s3proxy.Main --properties "$WORK/s3proxy.conf" \
  >"$S3_LOG" 2>&1 </dev/null &
S3_PID=$!
disown "$S3_PID" # no "Killed" job notice when cleanup stops it
deadline=$((SECONDS + 90))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" || true)" != 000 ]; do
  kill -0 "$S3_PID" 2>/dev/null || { echo "cold.sh: s3proxy exited" >&2; cat "$S3_LOG" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "cold.sh: s3proxy did not start" >&2; exit 1; }
  sleep 0.5
done
echo "cold.sh: s3proxy on port $S3_PORT (pid $S3_PID)" >&2

export TRIBUTARY_S3_ACCESS_KEY="$KEY" TRIBUTARY_S3_SECRET_KEY="$SECRET"
export TRIBUTARY_LAUNCH="$(printf '%q' "$ROOT/tributary") server --tiering on --object-store s3 --s3-endpoint http://127.0.0.1:$S3_PORT --s3-allow-http true \
--s3-path-style true --s3-bucket tributary --s3-prefix conformance --s3-region us-east-1 \
--tier-bytes-min 1 --tier-age-ms 0 --tier-interval-ms 20 --tier-chunk-bytes-max 1048576 --hot-bytes-max 0 --cold-reads-prefer true --cold-reads-wait-ms 3000 \
--segment-bytes-max 1048576 --cold-block-bytes 65536 --read-threads 8 --snapshot-interval-entries 100 --peer-port 0"
# how many of the server's reads of stream bytes went to the object store (vs. local disk only)
export CONFORMANCE_AFTER='curl -s "$TRIBUTARY_ADMIN_URL/metrics" | grep -E "^tributary_(stream_range_reads_total|cold_uploads_total|cold_cache_(hits|misses)_total)" | sed "s/^/cold.sh: /" >"'"$WORK"'/metrics.txt"'
RC=0
"$HERE/run.sh" conformance "$@" || RC=$?
cat "$WORK/metrics.txt" 2>/dev/null || true
COLD_READS="$(sed -n 's/.*source="cold"} //p' "$WORK/metrics.txt")"
HOT_READS="$(sed -n 's/.*source="hot"} //p' "$WORK/metrics.txt")"
echo "cold.sh: range reads: ${COLD_READS:-?} from the object store, ${HOT_READS:-?} from local disk only"
[ "$RC" = 0 ] || exit "$RC"
if [ -z "$COLD_READS" ] || [ -z "$HOT_READS" ] || [ $((COLD_READS * 10)) -lt $(((COLD_READS + HOT_READS) * 9)) ]; then
  echo "cold.sh: fewer than 90% of range reads were cold: the suite did not exercise the cold tier" >&2
  exit 1
fi
OBJECTS="$(find "$WORK/s3/tributary" -type f | wc -l)"
echo "cold.sh: $OBJECTS objects in the bucket after the run"
[ "$OBJECTS" -gt 0 ] || { echo "cold.sh: nothing was tiered" >&2; exit 1; }
