# Sourced by ./mvnw and ./stepwise: makes JAVA_HOME point at a JDK of version 21 or newer.
# Order: $JAVA_HOME, the `java` on PATH, then the usual install locations (newest first).
# Stops with one line naming the version needed when none is found.
_stepwise_java_major() { # $1 = JDK home; prints its major version or nothing
  local v=""
  if [ -f "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1)
  fi
  if [ -z "$v" ] && [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  fi
  [ "$v" = "1" ] && v=8
  printf '%s' "$v"
}
_stepwise_pick_jdk() {
  local need=21 c v best="" bestv=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    v=$(_stepwise_java_major "$JAVA_HOME"); [ -n "$v" ] && [ "$v" -ge "$need" ] && return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    v=$(_stepwise_java_major "$c"); if [ -n "$v" ] && [ "$v" -ge "$need" ]; then export JAVA_HOME="$c"; return 0; fi
  fi
  for c in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$c/bin/javac" ] || continue
    v=$(_stepwise_java_major "$c"); [ -n "$v" ] || continue
    if [ "$v" -ge "$need" ] && [ "$v" -gt "$bestv" ]; then best="$c"; bestv="$v"; fi
  done
  if [ -n "$best" ]; then export JAVA_HOME="$best"; return 0; fi
  echo "stepwise: a JDK of version $need or newer is needed (found none in JAVA_HOME, PATH or /usr/lib/jvm); install one or set JAVA_HOME to it" >&2
  return 1
}
_stepwise_pick_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
# JDK 23+ warns when Maven's own libraries (Guice, Guava) touch sun.misc.Unsafe; allow it quietly.
if [ "$(_stepwise_java_major "$JAVA_HOME")" -ge 23 ] 2>/dev/null; then
  case " ${MAVEN_OPTS:-} " in
    *sun-misc-unsafe-memory-access*) ;;
    *) export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}" ;;
  esac
fi
