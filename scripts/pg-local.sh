#!/usr/bin/env bash
# Usage:
#   scripts/pg-local.sh start  DIR [PORT]    create (first time) and start a private PostgreSQL 15
#   scripts/pg-local.sh stop   DIR           fast shutdown; a no-op when it is not running
#   scripts/pg-local.sh status DIR           exit 0 and print DIR/env when it is running
#   scripts/pg-local.sh psql   DIR [ARGS...] run psql against it (as postgres, database postgres)
#
# A throw-away cluster for tests and the walkthrough, never for real data:
#   - data in DIR/data, server log in DIR/pg.log, unix socket in DIR (TCP only if DIR is too
#     long for a socket path), listening on 127.0.0.1 only;
#   - fsync, synchronous_commit and full_page_writes off (fast; a crash may lose the cluster),
#     max_connections = 300;
#   - PORT: the given one, else the one it had last time if still free, else a free random one;
#   - DIR/env holds PGHOST, PGPORT, PGUSER and PGPASSWORD lines (dotenv/shell syntax) for clients.
#
# Authentication: `trust` for every local and loopback connection (the default, PG_LOCAL_AUTH=trust),
# because the cluster only listens on 127.0.0.1 of a test machine. The postgres role still gets a
# password (PG_LOCAL_PASSWORD, default "bfm-local") so that clients configured with one work as
# they would against a real server; set PG_LOCAL_AUTH=scram-sha-256 at the first start to have it
# checked. Both settings apply when the cluster is created (initdb), not on later starts.
#
# As root the server runs as the `postgres` user (initdb refuses root) and DIR is chown'ed to it,
# so every parent directory of DIR must be searchable by postgres (e.g. not under /root).
# As any other user it runs as that user. Binaries: PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_LOCAL_PASSWORD=${PG_LOCAL_PASSWORD:-bfm-local}
PG_LOCAL_AUTH=${PG_LOCAL_AUTH:-trust}
PG_USER=postgres

die() { echo "pg-local: $*" >&2; exit 1; }

# Seconds since $1 (an $EPOCHREALTIME value), with two decimals.
elapsed() {
  local now=${EPOCHREALTIME/[.,]/} then=${1/[.,]/}
  local ms=$(((now - then) / 1000))
  printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}

usage() {
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Runs a server binary as the cluster's owner.
as_owner() {
  if ((EUID == 0)); then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

is_running() {
  [[ -f $DIR/data/PG_VERSION ]] && as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]] && return 0
  fi
  # Fallback (and double check): can we connect to it?
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

random_free_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  die "no free TCP port found"
}

env_value() {   # env_value FILE KEY
  [[ -f $1 ]] || return 0
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

write_env() {
  local port=$1 tmp
  tmp=$(mktemp "$DIR/.env.XXXXXX")
  cat >"$tmp" <<EOF
PGHOST=127.0.0.1
PGPORT=$port
PGUSER=$PG_USER
PGPASSWORD=$PG_LOCAL_PASSWORD
EOF
  chmod 644 "$tmp"
  mv -f "$tmp" "$DIR/env"
}

init_cluster() {
  local version
  if [[ -f $DIR/data/PG_VERSION ]]; then
    version=$(<"$DIR/data/PG_VERSION")
    [[ $version == 15 ]] || die "$DIR/data holds a PostgreSQL $version cluster, expected 15"
    return 0
  fi
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found: install postgresql-15 (scripts/setup.sh)"

  local pwfile=$DIR/.pwfile
  (umask 077; printf '%s\n' "$PG_LOCAL_PASSWORD" >"$pwfile")
  if ((EUID == 0)); then chown "$PG_USER:" "$pwfile"; fi
  if ! as_owner "$PG_BIN/initdb" -D "$DIR/data" -U "$PG_USER" -A "$PG_LOCAL_AUTH" \
         --pwfile="$pwfile" -E UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$DIR/initdb.log" >&2
    die "initdb failed in $DIR/data"
  fi
  rm -f "$pwfile"

  # Unix socket paths are limited to 107 bytes; beyond that serve TCP only.
  local sockets="'$DIR'"
  if ((${#DIR} + 20 > 107)); then
    sockets="''"
    echo "pg-local: $DIR is too long for a unix socket path; TCP only"
  fi
  cat >>"$DIR/data/postgresql.conf" <<EOF

# --- scripts/pg-local.sh: private throw-away cluster (the port is given at start) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = $sockets
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# Starts the server on $1; returns 1 only when the port turned out to be taken.
try_start() {
  local port=$1 log_lines out
  log_lines=0
  [[ ! -f $DIR/pg.log ]] || log_lines=$(wc -l <"$DIR/pg.log")
  if out=$(as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w -t 60 -s \
             -o "-p $port" start 2>&1); then
    return 0
  fi
  if tail -n +"$((log_lines + 1))" "$DIR/pg.log" 2>/dev/null | grep -q 'Address already in use'; then
    return 1
  fi
  [[ -z $out ]] || echo "$out" >&2
  tail -n 30 "$DIR/pg.log" >&2 || true
  die "PostgreSQL did not start (log: $DIR/pg.log)"
}

cmd_start() {
  local want_port=${1:-} started=$EPOCHREALTIME port

  if is_running; then
    port=$(env_value "$DIR/env" PGPORT)
    [[ -n $port ]] || die "a server is running in $DIR but $DIR/env is missing; stop it first"
    [[ -z $want_port || $want_port == "$port" ]] ||
      echo "pg-local: already running on port $port (not $want_port)" >&2
    echo "pg-local: already running on 127.0.0.1:$port ($DIR)"
    return 0
  fi

  mkdir -p "$DIR"
  if ((EUID == 0)); then
    id -u "$PG_USER" >/dev/null 2>&1 || die "no '$PG_USER' user: install postgresql-15 (scripts/setup.sh)"
    chown "$PG_USER:" "$DIR"
    runuser -u "$PG_USER" -- test -w "$DIR" -a -x "$DIR" ||
      die "user $PG_USER cannot write $DIR: every parent directory must be searchable by it"
  fi
  init_cluster

  local attempt
  for ((attempt = 1; attempt <= 10; attempt++)); do
    if [[ -n $want_port ]]; then
      port=$want_port
      port_in_use "$port" && die "port $port is already in use"
    else
      port=$(env_value "$DIR/env" PGPORT)   # keep last time's port when it is free
      if ((attempt > 1)) || [[ -z $port ]] || port_in_use "$port"; then
        port=$(random_free_port)
      fi
    fi
    if try_start "$port"; then
      break
    fi
    [[ -z $want_port ]] || die "port $port is already in use"
    echo "pg-local: port $port was taken meanwhile; trying another" >&2
    port=
  done
  [[ -n $port ]] || die "could not find a free port after 10 attempts"

  local i
  for ((i = 0; i < 300; i++)); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" && break
    sleep 0.1
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" ||
    die "server started but is not accepting connections on 127.0.0.1:$port (log: $DIR/pg.log)"

  write_env "$port"
  echo "pg-local: PostgreSQL 15 ready on 127.0.0.1:$port ($DIR, $(elapsed "$started") s)"
}

cmd_stop() {
  local started=$EPOCHREALTIME
  if ! is_running; then
    echo "pg-local: not running ($DIR)"
    return 0
  fi
  if ! as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 -s stop; then
    echo "pg-local: fast shutdown failed; trying immediate" >&2
    as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 -s stop
  fi
  echo "pg-local: stopped ($DIR, $(elapsed "$started") s)"
}

cmd_status() {
  if is_running; then
    echo "pg-local: running ($DIR)"
    cat "$DIR/env"
  else
    echo "pg-local: not running ($DIR)"
    return 1
  fi
}

cmd_psql() {
  [[ -f $DIR/env ]] || die "$DIR/env not found: run '$0 start $DIR' first"
  set -a
  # shellcheck source=/dev/null
  . "$DIR/env"
  set +a
  local psql=$PG_BIN/psql
  [[ -x $psql ]] || psql=psql
  exec "$psql" -X "$@"
}

(($# >= 2)) || usage
command=$1
[[ -n $2 ]] || usage
DIR=$(realpath -m -- "$2")
shift 2
# pg_ctl passes paths through a shell: keep DIR to plain characters.
[[ $DIR =~ ^[A-Za-z0-9/._+@:,=~-]+$ ]] || die "unsupported characters in directory name: $DIR"

case $command in
  start)  (($# <= 1)) || usage
          [[ -z ${1:-} || ${1:-} =~ ^[0-9]+$ ]] || die "PORT must be a number: $1"
          cmd_start "${1:-}" ;;
  stop)   (($# == 0)) || usage; cmd_stop ;;
  status) (($# == 0)) || usage; cmd_status ;;
  psql)   cmd_psql "$@" ;;
  *)      usage ;;
esac
