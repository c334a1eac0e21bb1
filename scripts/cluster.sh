#!/usr/bin/env bash
# A local soundtrend cluster to try (issue 10): everything on loopback, in one temporary
# directory, on free ports.
#
#   scripts/cluster.sh [run]        start, print the key and URLs, stop everything on Ctrl-C
#   scripts/cluster.sh start        start in the background, print the key and URLs, return
#   scripts/cluster.sh stop [DIR]   stop every process of the cluster and delete DIR
#   scripts/cluster.sh status [DIR] which processes run, and the URLs
#   scripts/cluster.sh kill-node I [DIR]   SIGKILL node I (1..N): try a crash
#   scripts/cluster.sh start-node I [DIR]  start node I again (same port, node id, state dir:
#                                          it settles what it left)
#   scripts/cluster.sh pause-pg [DIR] / resume-pg [DIR]   stop / start PostgreSQL, keeping
#                                          its data (SPEC §10: 503 for what a node cannot
#                                          decide alone, nothing lost)
#
# What `start` does: a private PostgreSQL 15 (initdb + pg_ctl through
# bench/postgres_cluster.sh, small memory settings), redis-server, `soundtrend migrate`, a
# demo platform (`soundtrend demo`) ingested and built into PostgreSQL, N `serve` nodes
# (`--node-id node-I --state-dir DIR/state --redis redis://...`, each on a free port), nginx
# in front of them (round robin, keep-alive upstream connections), a demo key and an admin
# token. DIR defaults to a new /tmp/soundtrend_cluster.XXXXXX; the last one started is
# remembered in /tmp/soundtrend_cluster.current, so `stop` needs no argument.
#
# Environment (defaults): SOUNDTREND_BIN (build/release/src/app/soundtrend), NODES (3),
#   THREADS (1: event loops per node), DEMO_SOUNDS (2000), DEMO_DAYS (130), DEMO_SEED (42),
#   PG_SHARED_BUFFERS (256MB), PG_WORK_MEM (64MB), NGINX (/usr/sbin/nginx),
#   REDIS_SERVER (redis-server).
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SOUNDTREND_BIN:-$HERE/build/release/src/app/soundtrend}
NODES=${NODES:-3}
THREADS=${THREADS:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
PG_SCRIPT=$HERE/bench/postgres_cluster.sh
CURRENT=/tmp/soundtrend_cluster.current
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-256MB} PG_WORK_MEM=${PG_WORK_MEM:-64MB}

die() { echo "cluster.sh: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Polls `cmd...` every 0.1 s until it succeeds or SECONDS_LEFT seconds have passed.
wait_for() {
  local seconds=$1 end
  shift
  end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The cluster's directory: the argument, or the last one started.
cluster_dir() {
  local dir=${1:-}
  if [ -z "$dir" ]; then
    [ -f "$CURRENT" ] || die "no cluster started (no $CURRENT); pass its directory"
    dir=$(cat "$CURRENT")
  fi
  [ -f "$dir/env" ] || die "$dir is not a cluster directory (no env file)"
  echo "$dir"
}
load() {
  DIR=$(cluster_dir "${1:-}")
  # shellcheck disable=SC1091
  source "$DIR/env"
}
st() { "$BIN" --db "$DB" "$@"; }

# Starts serve node I (1-based) on port PORT (0: any free one); waits for "listening on".
start_node() {
  local i=$1 port=$2 out=$DIR/node-$1.out
  : >"$out"
  setsid "$BIN" --db "$DB" serve --host 127.0.0.1 --port "$port" --threads "$THREADS" \
    --node-id "node-$i" --state-dir "$DIR/state" --redis "$REDIS_URL" \
    --admin-token-file "$DIR/admin_token" --publish-interval-seconds 5 \
    >"$out" 2>>"$DIR/node-$i.log" </dev/null &
  echo $! >"$DIR/node-$i.pid"
  wait_for 60 grep -q '^listening on ' "$out" || {
    tail -20 "$DIR/node-$i.log" >&2
    die "node $i did not start (log: $DIR/node-$i.log)"
  }
  sed -n 's#^listening on http://.*:\([0-9]*\)$#\1#p' "$out" >"$DIR/node-$i.port"
}

print_info() {
  local i
  echo
  echo "soundtrend cluster in $DIR"
  echo "  PostgreSQL  $DB   (psql: bash bench/postgres_cluster.sh psql $PG_DIR $PG_PORT -d soundtrend)"
  echo "  Redis       $REDIS_URL"
  for i in $(seq "$NODES"); do
    echo "  node-$i      http://127.0.0.1:$(cat "$DIR/node-$i.port")   (log $DIR/node-$i.log)"
  done
  echo "  nginx       http://127.0.0.1:$NGINX_PORT   (round robin over the nodes)"
  echo "  admin token $DIR/admin_token"
  echo
  echo "demo key (1,000,000 credits, 50 requests/s):"
  echo "  $(cat "$DIR/demo_key")"
  echo "try:"
  echo "  curl -s -H \"Authorization: Bearer $(cat "$DIR/demo_key")\" \\"
  echo "    'http://127.0.0.1:$NGINX_PORT/v1/tiktok/trending/music?region=US&period=7&limit=5'"
  echo "  $0 kill-node 2; $0 start-node 2      # a crash and a restart"
  echo "  $0 pause-pg; $0 resume-pg            # PostgreSQL away and back"
  echo "  SOUNDTREND_DB=$DB $BIN keys list"
}

cmd_start() {
  [ -x "$BIN" ] || die "no soundtrend binary at $BIN (build it: cmake --build --preset release --target soundtrend)"
  command -v "$REDIS_SERVER" >/dev/null || die "missing $REDIS_SERVER (apt-get install redis-server)"
  [ -x "$NGINX" ] || die "missing $NGINX (apt-get install nginx-light)"
  DIR=$(mktemp -d /tmp/soundtrend_cluster.XXXXXX)
  chmod 755 "$DIR"
  mkdir -p "$DIR/state" "$DIR/redis" "$DIR/nginx_tmp"
  echo "$DIR" >"$CURRENT"
  echo "== cluster directory $DIR"

  echo "== PostgreSQL"
  read -r PG_DIR PG_PORT < <(bash "$PG_SCRIPT" start) || die "PostgreSQL did not start"
  bash "$PG_SCRIPT" psql "$PG_DIR" "$PG_PORT" -q -c "CREATE DATABASE soundtrend" >/dev/null
  DB=postgresql://postgres@127.0.0.1:$PG_PORT/soundtrend

  echo "== Redis"

  for _ in 1 2 3 4 5; do
    REDIS_PORT=$(free_port)
    setsid "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" \
      --save '' --appendonly no --daemonize no >"$DIR/redis.log" 2>&1 </dev/null &
    echo $! >"$DIR/redis.pid"
    if wait_for 10 redis-cli -p "$REDIS_PORT" ping; then break; fi
    kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true  # the port was taken meanwhile
    REDIS_PORT=
  done
  [ -n "$REDIS_PORT" ] || { cat "$DIR/redis.log" >&2; die "redis-server did not start"; }
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  NGINX_PORT=
  cat >"$DIR/env" <<EOF
PG_DIR=$PG_DIR
PG_PORT=$PG_PORT
DB=$DB
REDIS_PORT=$REDIS_PORT
REDIS_URL=$REDIS_URL
NODES=$NODES
THREADS=$THREADS
BIN=$BIN
EOF

  echo "== schema and demo data (${DEMO_SOUNDS:-2000} sounds x ${DEMO_DAYS:-130} days)"
  st migrate
  st demo --out "$DIR/demo" --seed "${DEMO_SEED:-42}" --sounds "${DEMO_SOUNDS:-2000}" \
    --days "${DEMO_DAYS:-130}" >"$DIR/demo.log"
  st ingest "$DIR/demo/catalog.ndjson" "$DIR/demo/daily.csv.gz" "$DIR/demo/uses.ndjson.gz" \
    >"$DIR/ingest.log"
  st build >"$DIR/build.log"
  (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$DIR/admin_token")
  st keys create --name demo --credits 1000000 --qps 50 | head -n 1 >"$DIR/demo_key"
  grep -q '^sk_live_' "$DIR/demo_key" || die "keys create printed no key"

  local i
  for i in $(seq "$NODES"); do
    echo "== node-$i"
    start_node "$i" 0
  done

  echo "== nginx"
  NGINX_PORT=$(free_port)
  echo "NGINX_PORT=$NGINX_PORT" >>"$DIR/env"
  {
    echo "daemon off;"
    echo "worker_processes 1;"
    echo "pid $DIR/nginx.pid;"
    echo "error_log $DIR/nginx_error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log $DIR/nginx_access.log;"
    echo "  client_body_temp_path $DIR/nginx_tmp/body;"
    echo "  proxy_temp_path $DIR/nginx_tmp/proxy;"
    echo "  fastcgi_temp_path $DIR/nginx_tmp/fastcgi;"
    echo "  uwsgi_temp_path $DIR/nginx_tmp/uwsgi;"
    echo "  scgi_temp_path $DIR/nginx_tmp/scgi;"
    echo "  upstream soundtrend {"
    for i in $(seq "$NODES"); do
      echo "    server 127.0.0.1:$(cat "$DIR/node-$i.port") max_fails=1 fail_timeout=2s;"
    done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$NGINX_PORT;"
    echo "    client_max_body_size 64m;"
    echo "    location / {"
    echo "      proxy_pass http://soundtrend;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
    echo "      proxy_set_header X-Forwarded-Proto \$scheme;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$DIR/nginx.conf"
  chmod -R a+rwX "$DIR/nginx_tmp"  # nginx workers run unprivileged when started by root
  setsid "$NGINX" -p "$DIR" -c "$DIR/nginx.conf" >"$DIR/nginx_start.log" 2>&1 </dev/null &
  echo $! >"$DIR/nginx.master"
  wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" || {
    cat "$DIR/nginx_start.log" "$DIR/nginx_error.log" >&2 2>/dev/null || true
    die "nginx does not answer /healthz"
  }
  print_info
}

# SIGTERM, then SIGKILL after `seconds`; waits for the pid in FILE to be gone.
stop_pid_file() {
  local file=$1 seconds=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for "$seconds" bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_stop() {
  load "${1:-}"
  local i
  stop_pid_file "$DIR/nginx.master" 10
  # Nodes stop gracefully: each moves its charges into PostgreSQL and gives back its leases.
  for i in $(seq "$NODES"); do
    [ -f "$DIR/node-$i.pid" ] && kill -TERM "$(cat "$DIR/node-$i.pid")" 2>/dev/null || true
  done
  for i in $(seq "$NODES"); do stop_pid_file "$DIR/node-$i.pid" 30; done
  stop_pid_file "$DIR/redis.pid" 10
  bash "$PG_SCRIPT" stop "$PG_DIR" || true
  [ "$(cat "$CURRENT" 2>/dev/null)" = "$DIR" ] && rm -f "$CURRENT"
  rm -rf "$DIR"
  echo "cluster in $DIR stopped and removed"
}

cmd_status() {
  load "${1:-}"
  local i pid
  for i in $(seq "$NODES"); do
    pid=$(cat "$DIR/node-$i.pid" 2>/dev/null || true)
    if alive "$pid"; then echo "node-$i running (pid $pid)"; else echo "node-$i stopped"; fi
  done
  alive "$(cat "$DIR/redis.pid" 2>/dev/null || true)" && echo "redis running" || echo "redis stopped"
  alive "$(cat "$DIR/nginx.master" 2>/dev/null || true)" && echo "nginx running" || echo "nginx stopped"
  bash "$PG_SCRIPT" psql "$PG_DIR" "$PG_PORT" -qAt -c "SELECT 'postgresql running'" 2>/dev/null ||
    echo "postgresql stopped"
  print_info
}

cmd_kill_node() {
  local i=${1:?usage: cluster.sh kill-node I [DIR]}
  load "${2:-}"
  local pid
  pid=$(cat "$DIR/node-$i.pid" 2>/dev/null || true)
  alive "$pid" || die "node-$i is not running"
  kill -KILL "$pid"
  wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || true
  rm -f "$DIR/node-$i.pid"
  echo "node-$i killed (SIGKILL); its charges are in $DIR/state/node-$i-charges*"
}

cmd_start_node() {
  local i=${1:?usage: cluster.sh start-node I [DIR]}
  load "${2:-}"
  alive "$(cat "$DIR/node-$i.pid" 2>/dev/null || true)" && die "node-$i is running"
  start_node "$i" "$(cat "$DIR/node-$i.port")"
  echo "node-$i started again on http://127.0.0.1:$(cat "$DIR/node-$i.port")"
}

cmd_run() {
  cmd_start
  echo
  echo "Ctrl-C stops the cluster."
  trap 'echo; cmd_stop "$DIR"; exit 0' INT TERM
  while true; do sleep 1; done
}

case "${1:-run}" in
  run) cmd_run ;;
  start) cmd_start ;;
  stop) cmd_stop "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  kill-node) cmd_kill_node "${2:-}" "${3:-}" ;;
  start-node) cmd_start_node "${2:-}" "${3:-}" ;;
  pause-pg) load "${2:-}"; bash "$PG_SCRIPT" pause "$PG_DIR"; echo "PostgreSQL stopped (data kept)" ;;
  resume-pg) load "${2:-}"; bash "$PG_SCRIPT" resume "$PG_DIR" "$PG_PORT"; echo "PostgreSQL started" ;;
  -h | --help | help) sed -n '2,26p' "$0" ;;
  *) echo "usage: $0 [run | start | stop [DIR] | status [DIR] | kill-node I | start-node I | pause-pg | resume-pg]" >&2; exit 2 ;;
esac
