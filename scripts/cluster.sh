# Cluster mode of scripts/run.sh (`scripts/run.sh --cluster`; sourced by run.sh, not executed).
# On this machine: PostgreSQL (the tracker store and the project's database), Redis (Rasa's lock
# store, socket.io's message queue), HELPLINE_REPLICAS Rasa replicas, one action server with
# several workers, and HAProxy on RASA_PORT in front of the replicas. Debian's postgresql,
# redis-server and haproxy are installed when missing. Every server runs in the foreground under
# run.sh's `supervise`, so stopping run.sh stops all of them (none is a daemon left behind).
# Data (PostgreSQL's files, the database password) stays in HELPLINE_CLUSTER_DIR between runs.

CLUSTER="${HELPLINE_CLUSTER_DIR:-$VAR/cluster}"
export HELPLINE_REPLICAS="${HELPLINE_REPLICAS:-3}"
read -r -a REPLICA_PORTS <<< "${HELPLINE_REPLICA_PORTS:-$(seq -s ' ' $((RASA_PORT + 1)) $((RASA_PORT + HELPLINE_REPLICAS)))}"
export TRACKER_DB_HOST=127.0.0.1 TRACKER_DB_PORT="${TRACKER_DB_PORT:-5433}" TRACKER_DB_NAME=conversations
export TRACKER_DB_USER=helpline
export REDIS_HOST=127.0.0.1 REDIS_PORT="${REDIS_PORT:-6380}"
export HELPLINE_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/0"
export HELPLINE_TRUSTED_PROXIES=127.0.0.1          # HAProxy's X-Forwarded-For is believed
export HELPLINE_ENDPOINTS="$ROOT/endpoints.cluster.yml"
export ACTION_SERVER_SANIC_WORKERS="${HELPLINE_ACTION_WORKERS:-2}"
# A replica killed while it holds a conversation's lock holds it until the lock's lifetime ends
# (Rasa's default 60 s); a turn takes well under a second, and the tracker store keeps every
# writer's events even without the lock, so the next message of that person waits 15 s at most.
# Replicas loading their model at once on a busy machine take minutes, not seconds.
REPLICA_START_SECONDS="${HELPLINE_REPLICA_START_SECONDS:-600}"
export TICKET_LOCK_LIFETIME="${TICKET_LOCK_LIFETIME:-15}"

# Installs Debian's postgresql, redis-server and haproxy when their programs are missing, as
# test.sh installs chromium.
ensure_cluster_packages() {
  local wanted=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || wanted+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
  command -v haproxy >/dev/null 2>&1 || wanted+=(haproxy)
  [ "${#wanted[@]}" -eq 0 ] && return 0
  log "Installing Debian's ${wanted[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >/dev/null \
    || { log "Installing ${wanted[*]} failed (apt-get needs root)"; exit 1; }
}

# PostgreSQL refuses to run as root: as root its server runs as the postgres user. setpriv
# replaces itself with the server, so the supervisor's signal reaches PostgreSQL itself (a
# wrapper in between would keep the server running when run.sh stops).
AS_POSTGRES=()
[ "$(id -u)" = 0 ] && AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups --)

cluster_free_port_check() {  # port, what
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    log "Port $1 ($2) is taken; set its variable to another port"; exit 1
  fi
}

# PostgreSQL, made once under $CLUSTER/pg (the user helpline with a generated password, the
# databases helpline and conversations), then started under supervise.
start_cluster_postgres() {
  local bin pg="$CLUSTER/pg"
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  mkdir -p "$CLUSTER/secrets" && chmod 700 "$CLUSTER/secrets"
  if [ ! -s "$CLUSTER/secrets/pg.password" ]; then
    (umask 077 && python -c "import secrets; print(secrets.token_urlsafe(24))" > "$CLUSTER/secrets/pg.password")
  fi
  export TRACKER_DB_PASSWORD; TRACKER_DB_PASSWORD="$(cat "$CLUSTER/secrets/pg.password")"
  mkdir -p "$pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg"
  if ! _as_postgres test -w "$pg"; then
    log "PostgreSQL (user postgres) cannot write $pg; set HELPLINE_CLUSTER_DIR to a directory it can reach"; exit 1
  fi
  if [ ! -f "$pg/data/PG_VERSION" ]; then
    log "Creating the cluster's PostgreSQL database files in $pg/data"
    (umask 077 && cp "$CLUSTER/secrets/pg.password" "$pg/pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$pg/pwfile"
    _as_postgres "$bin/initdb" -D "$pg/data" -U helpline --pwfile="$pg/pwfile" -A scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 || { cat "$pg/initdb.log" >&2; rm -f "$pg/pwfile"; exit 1; }
    rm -f "$pg/pwfile"
  fi
  cluster_free_port_check "$TRACKER_DB_PORT" TRACKER_DB_PORT
  log "Starting PostgreSQL on 127.0.0.1:$TRACKER_DB_PORT"
  STOP_SIGNAL=INT supervise "PostgreSQL" "$LOGS/postgresql.log" "${AS_POSTGRES[@]}" "$bin/postgres" \
      -D "$pg/data" -p "$TRACKER_DB_PORT" -k "$pg" -c listen_addresses=127.0.0.1 -c max_connections=300 &
  pids+=($!)
  for _ in $(seq 1 120); do
    pg_isready -q -h 127.0.0.1 -p "$TRACKER_DB_PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$TRACKER_DB_PORT" || { tail -n 30 "$LOGS/postgresql.log" >&2; log "PostgreSQL did not start"; exit 1; }
  local db
  for db in helpline conversations; do
    PGPASSWORD="$TRACKER_DB_PASSWORD" psql -qtA -h 127.0.0.1 -p "$TRACKER_DB_PORT" -U helpline -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || PGPASSWORD="$TRACKER_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$TRACKER_DB_PORT" -U helpline -d postgres \
        -c "CREATE DATABASE $db" || { log "Creating the database $db failed"; exit 1; }
  done
  export HELPLINE_DB_URL="postgresql://helpline:$TRACKER_DB_PASSWORD@127.0.0.1:$TRACKER_DB_PORT/helpline"
  TRACKER_URL="postgresql://helpline@127.0.0.1:$TRACKER_DB_PORT/conversations"  # printed: no password
}

start_cluster_redis() {
  cluster_free_port_check "$REDIS_PORT" REDIS_PORT
  mkdir -p "$CLUSTER/redis"
  log "Starting Redis on 127.0.0.1:$REDIS_PORT"
  # only locks, rate counters and socket.io's messages: nothing to keep on disk
  supervise "Redis" "$LOGS/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
      --dir "$CLUSTER/redis" --save "" --appendonly no --daemonize no --protected-mode yes &
  pids+=($!)
  for _ in $(seq 1 60); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.5
  done
  tail -n 30 "$LOGS/redis.log" >&2; log "Redis did not start"; exit 1
}

# HAProxy's configuration: REST and the channels round-robin over the replicas that pass their
# health check; /socket.io by the client's address, so a browser's polling and websocket requests
# reach the same replica (the widget sets no cookie); a request is sent again to another replica
# only when it could not be sent at all (connection refused), never after a replica may have
# processed it: that client gets a 502 whose JSON says so. A replica may take its turn wait
# (HELPLINE_TURN_WAIT, bot/settings.py) and a minute more to answer; the proxy waits longer.
write_haproxy_config() {
  local servers="" i=0 port
  for port in "${REPLICA_PORTS[@]}"; do
    i=$((i + 1))
    servers+="    server rasa$i 127.0.0.1:$port check inter 1s fall 2 rise 2"$'\n'
  done
  mkdir -p "$CLUSTER/haproxy"
  local code reason
  for code in 502 503 504; do
    case $code in 502) reason="Bad Gateway";; 503) reason="Service Unavailable";; 504) reason="Gateway Timeout";; esac
    printf 'HTTP/1.0 %s %s\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n%s\n' \
      "$code" "$reason" '{"error": "The assistant could not answer this message: it may not have been received. Please send it again. / Asistenti nuk mundi t'"'"'i përgjigjet këtij mesazhi. Ju lutem dërgojeni përsëri. In danger: 112, 116 006."}' \
      > "$CLUSTER/haproxy/$code.http"
  done
  cat > "$CLUSTER/haproxy/haproxy.cfg" <<CFG
global
    maxconn 4096
    log stdout format raw local0 info  # one line per request, into haproxy.log

defaults
    mode http
    log global
    option httplog
    # one request per client connection: on a kept-alive one, HAProxy answers a replica's death
    # mid-request by closing the connection without a word (so that a browser would resend); a
    # REST client then cannot tell what happened. Closed after each answer, it gets the 502 below.
    option httpclose
    option forwardfor
    option redispatch 1
    retries 3
    retry-on conn-failure
    timeout connect 2s
    timeout client $((${HELPLINE_TURN_WAIT:-120} + 90))s
    timeout server $((${HELPLINE_TURN_WAIT:-120} + 70))s
    timeout tunnel 1h
    timeout http-keep-alive 10s
    errorfile 502 $CLUSTER/haproxy/502.http
    errorfile 503 $CLUSTER/haproxy/503.http
    errorfile 504 $CLUSTER/haproxy/504.http

frontend helpline
    bind ${RASA_INTERFACE:-127.0.0.1}:$RASA_PORT
    use_backend socketio if { path_beg /socket.io }
    default_backend rasa

backend rasa
    balance roundrobin
    option httpchk GET /
    http-check expect status 200
$servers
backend socketio
    balance source
    hash-type consistent
    option httpchk GET /
    http-check expect status 200
$servers
CFG
}

start_cluster_proxy() {
  cluster_free_port_check "$RASA_PORT" RASA_PORT
  write_haproxy_config
  haproxy -c -q -f "$CLUSTER/haproxy/haproxy.cfg" || { log "HAProxy's configuration is invalid"; exit 1; }
  log "Starting HAProxy on 127.0.0.1:$RASA_PORT in front of ${#REPLICA_PORTS[@]} replicas"
  supervise "HAProxy" "$LOGS/haproxy.log" haproxy -db -f "$CLUSTER/haproxy/haproxy.cfg" &
  pids+=($!)
}

# Rasa's replicas. The first one alone, so that it creates the tracker store's table and indexes
# and the project's tables before the others race to; then the rest at once.
start_cluster_replicas() {  # options given to every replica...
  local i=0 port
  [ "${#REPLICA_PORTS[@]}" -ge 1 ] || { log "HELPLINE_REPLICAS must be 1 or more"; exit 1; }
  for port in "${REPLICA_PORTS[@]}"; do
    i=$((i + 1))
    cluster_free_port_check "$port" "replica $i, HELPLINE_REPLICA_PORTS"
    log "Starting Rasa replica $i on 127.0.0.1:$port"
    supervise "Rasa replica $i" "$LOGS/rasa-$i.log" helpline-rasa run --model models/helpline.tar.gz \
      --interface 127.0.0.1 --port "$port" --endpoints "$HELPLINE_ENDPOINTS" "$@" &
    pids+=($!)
    [ "$i" = 1 ] && wait_for "http://127.0.0.1:$port/" "Rasa replica 1" "$LOGS/rasa-1.log" "$REPLICA_START_SECONDS"
  done
  i=0
  for port in "${REPLICA_PORTS[@]}"; do
    i=$((i + 1))
    wait_for "http://127.0.0.1:$port/" "Rasa replica $i" "$LOGS/rasa-$i.log" "$REPLICA_START_SECONDS"
  done
}

# Installs and starts PostgreSQL and Redis; the replicas and the proxy come after the action server.
start_cluster_stores() {
  ensure_cluster_packages
  mkdir -p "$CLUSTER"
  start_cluster_postgres
  start_cluster_redis
}

cluster_summary() {
  local i=0 port
  echo "  Cluster:   HAProxy http://127.0.0.1:$RASA_PORT/ in front of the replicas"
  for port in "${REPLICA_PORTS[@]}"; do
    i=$((i + 1))
    echo "             replica $i: http://127.0.0.1:$port/   (log: $LOGS/rasa-$i.log)"
  done
  echo "             action server: http://127.0.0.1:$ACTION_PORT/ ($ACTION_SERVER_SANIC_WORKERS workers)"
  echo "             tracker store: $TRACKER_URL   (password: $CLUSTER/secrets/pg.password)"
  echo "             project database: postgresql://helpline@127.0.0.1:$TRACKER_DB_PORT/helpline"
  echo "             Redis (locks, socket.io): $HELPLINE_REDIS_URL"
}
