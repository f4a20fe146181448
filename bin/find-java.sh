# Sourced by ./tributary and .ci/run: sets JAVA_HOME to a JDK >= 21 (the machine's default java may be 17).
# Order: $JAVA_HOME if suitable, then the newest JDK in the usual install locations.
tributary_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
tributary_find_java() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(tributary_java_major "$JAVA_HOME")
    if [ "${major:-0}" -ge 21 ]; then return 0; fi
  fi
  for candidate in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(tributary_java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] && [ "${major:-0}" -gt "$best_major" ]; then best="$candidate"; best_major="$major"; fi
  done
  if [ -z "$best" ]; then
    echo "tributary: no JDK 21 or newer found (checked \$JAVA_HOME and /usr/lib/jvm)." >&2
    echo "tributary: install one, e.g. 'apt-get install temurin-25-jdk' or from https://adoptium.net, or set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
tributary_find_java || exit 1
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
