# Shared helpers of the ops scripts (sourced, not run).
RUN_DIR="${SWITCHBOARD_STATE_DIR:-$PWD/.run}"
BIN="${SWITCHBOARD_BIN:-$PWD/.build/debug/switchboard}"
mkdir -p "$RUN_DIR"

# is_ours NAME: true when NAME's pid file names a live process that we started.
is_ours() {
  local pidfile="$RUN_DIR/$1.pid"
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null
}

# wait_for SECONDS COMMAND...: retries COMMAND until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.2
  done
}

# stop NAME MATCH: stops the process of NAME's pid file if it is ours, politely first.
stop() {
  local pidfile="$RUN_DIR/$1.pid"
  if is_ours "$1" "$2"; then
    local pid
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "stopped $1 (pid $pid)"
  fi
  rm -f "$pidfile"
}
