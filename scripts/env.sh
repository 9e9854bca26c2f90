# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not executed).
# Finds Python 3.10, builds .venv from requirements.lock when the lock changed,
# and exports the settings every process of the assistant reads.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VAR="$ROOT/var"                       # run-time files: database, logs, pids
export UV_PYTHON_DOWNLOADS=never      # never fetch an interpreter from the network
export TF_CPP_MIN_LOG_LEVEL=2         # keep TensorFlow's start-up chatter out of the logs
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"  # `rasa train` too: no reports to a third party
export HELPLINE_DB_URL="${HELPLINE_DB_URL:-sqlite:///$VAR/knowledge.db}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export WEB_PORT="${WEB_PORT:-8080}"      # the web chat widget's demo page (bot/web/server.py)
export CONSOLE_PORT="${CONSOLE_PORT:-8090}"  # the operator console (bot/console/app.py)

mkdir -p "$VAR"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Prints the path of a working Python 3.10 interpreter, or explains what to install.
find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10 \
      "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)")/versions/"3.10*/bin/python \
      "$HOME/.pyenv/versions/"3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  cat >&2 <<'MSG'
Python 3.10 was not found, and Rasa 3.6 runs only on Python 3.10.
Install it, then run this command again, for example:
  pyenv install 3.10.13            (with pyenv)
  sudo apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with a 3.10 package)
or point PYTHON310 at an interpreter:  PYTHON310=/path/to/python3.10 scripts/run.sh
MSG
  return 1
}

# Creates .venv with uv inside it (uv is pinned in the lock like everything else).
ensure_venv_tools() {
  if [ ! -x "$VENV/bin/uv" ]; then
    local py
    py="$(find_python310)" || exit 1
    log "Creating .venv with $py"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "$(grep -E '^uv==' "$ROOT/requirements.lock")"
  fi
}

# Installs exactly requirements.lock (skipped when the lock has not changed) and the project itself.
ensure_venv() {
  ensure_venv_tools
  local stamp="$VENV/.lock.sha256" want
  want="$(sha256sum "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing the locked environment (requirements.lock)"
    "$VENV/bin/uv" pip sync --quiet -p "$VENV/bin/python" "$ROOT/requirements.lock"
    "$VENV/bin/uv" pip install --quiet -p "$VENV/bin/python" --no-deps -e "$ROOT"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# Trains a model when none exists or when any training input changed since the last one.
ensure_model() {
  local stamp="$ROOT/models/.inputs.sha256" want
  # bot/nlu, bot/language.py and bot/places.py: the trained components are pickled objects of
  # their classes, and the card model reads places as country tokens
  want="$(cd "$ROOT" && find config.yml domain.yml data bot/nlu bot/language.py bot/places.py -type f \( -name '*.yml' -o -name '*.py' \) \
          -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  # Rasa's training cache knows the data and the config, not our components' code: when the
  # code changed, a component restored from the cache would be an object of the old class.
  local code_stamp="$ROOT/models/.code.sha256" code force=()
  code="$(cd "$ROOT" && find bot/nlu bot/language.py bot/places.py -type f -name '*.py' -print0 \
          | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  [ "$(cat "$code_stamp" 2>/dev/null)" = "$code" ] || force=(--force)
  if [ ! -f "$ROOT/models/helpline.tar.gz" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Training the model (inputs changed or no model yet)"
    local started=$SECONDS
    (cd "$ROOT" && rasa train --fixed-model-name helpline --out models "${force[@]}") >"$VAR/train.log" 2>&1 \
      || { tail -n 40 "$VAR/train.log" >&2; log "Training failed; full log in var/train.log"; exit 1; }
    echo "$want" > "$stamp"
    echo "$code" > "$code_stamp"
    log "Model trained in $((SECONDS - started)) s"
  fi
}

# Loads data/knowledge/*.yml into the knowledge store (idempotent).
ensure_knowledge() {
  (cd "$ROOT" && helpline kb import --quiet) || { log "Loading the knowledge store failed"; exit 1; }
}

# Builds the web chat widget into web/dist: `npm ci` when web/package-lock.json changed,
# `npm run build` when the lock, the sources or the build script changed, or web/dist is missing.
ensure_web() {
  local web="$ROOT/web" installed want_install built want_build
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 \
      || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)' 2>/dev/null; then
    cat >&2 <<'MSG'
Node.js 18 or newer with npm is needed to build the web chat widget (web/), and was not found.
Install it, then run this command again, for example:
  sudo apt-get install nodejs npm        (Debian 12 / Ubuntu 24.04 or newer)
  or from https://nodejs.org/ (the LTS release)
MSG
    exit 1
  fi
  want_install="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
  installed="$(cat "$web/node_modules/.lock.sha256" 2>/dev/null || true)"
  if [ ! -d "$web/node_modules" ] || [ "$installed" != "$want_install" ]; then
    log "Installing the web widget's locked dependencies (npm ci)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) \
      || { log "npm ci failed in web/"; exit 1; }
    echo "$want_install" > "$web/node_modules/.lock.sha256"
  fi
  want_build="$(cd "$web" && find package-lock.json build.mjs src -type f -print0 | sort -z \
                | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  built="$(cat "$web/dist/.inputs.sha256" 2>/dev/null || true)"
  if [ ! -f "$web/dist/widget.js" ] || [ "$built" != "$want_build" ]; then
    log "Building the web widget (web/dist)"
    (cd "$web" && npm run --silent build) || { log "Building the web widget failed"; exit 1; }
    echo "$want_build" > "$web/dist/.inputs.sha256"
  fi
}

# Starts a throwaway PostgreSQL server for the tests, from Debian's packages (installed if
# missing), with its data under var/pg, on a free local port; exports HELPLINE_TEST_PG_URL and
# stops the server when the calling script exits. A HELPLINE_TEST_PG_URL already set is used as is.
start_test_postgres() {
  [ -z "${HELPLINE_TEST_PG_URL:-}" ] || return 0
  local bin pg="$VAR/pg" port previous
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ ! -x "$bin/initdb" ]; then
    log "Installing Debian's PostgreSQL for the database tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  TEST_PG_BIN="$bin"
  TEST_PG_DIR="$pg"
  stop_test_postgres  # a server left running by an interrupted run
  mkdir -p "$pg"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$pg"
    if ! runuser -u postgres -- test -w "$pg"; then  # e.g. a checkout under /root, closed to others
      pg="$(mktemp -d /tmp/helpline-pg.XXXXXX)" && chown postgres: "$pg" && TEST_PG_DIR="$pg"
    fi
  fi
  port="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log "Starting a test PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
  _as_postgres "$bin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$pg/initdb.log" 2>&1 || { cat "$pg/initdb.log" >&2; log "initdb failed"; exit 1; }
  previous="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
  trap "stop_test_postgres${previous:+; $previous}" EXIT
  _as_postgres "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 \
      -o "-p $port -k $pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start \
      >/dev/null || { cat "$pg/server.log" >&2; log "The test PostgreSQL did not start"; exit 1; }
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE helpline_test" \
      || { log "Creating the test database failed"; exit 1; }
  export HELPLINE_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/helpline_test"
}

# Stops the server start_test_postgres started, and removes its data.
stop_test_postgres() {
  [ -n "${TEST_PG_DIR:-}" ] || return 0
  if [ -f "$TEST_PG_DIR/data/postmaster.pid" ]; then
    _as_postgres "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TEST_PG_DIR"
}

# PostgreSQL refuses to run as root; as root, its programs run as the `postgres` user.
_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Installs Debian's redis-server when it is missing (the test Redis, and cluster mode's).
ensure_redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    log "Installing Debian's redis-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
      || { log "Installing redis-server failed"; exit 1; }
  fi
}

# Starts a throwaway Redis for the tests (shared rate limits, bot/limits.py), with its files under
# var/redis, on a free loopback port, without persistence; exports HELPLINE_TEST_REDIS_URL and
# stops the server when the calling script exits. A HELPLINE_TEST_REDIS_URL already set is used as is.
start_test_redis() {
  [ -z "${HELPLINE_TEST_REDIS_URL:-}" ] || return 0
  ensure_redis_server
  local dir="$VAR/redis" port previous
  TEST_REDIS_DIR="$dir"
  stop_test_redis  # a server left running by an interrupted run
  mkdir -p "$dir"
  port="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log "Starting a test Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
  previous="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
  trap "stop_test_redis${previous:+; $previous}" EXIT
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      || { log "The test Redis did not start"; exit 1; }
  local tries=0
  until redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { cat "$dir/redis.log" >&2; log "The test Redis does not answer"; exit 1; }
    sleep 0.1
  done
  export HELPLINE_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

# Stops the server start_test_redis started, and removes its files.
stop_test_redis() {
  [ -n "${TEST_REDIS_DIR:-}" ] || return 0
  local pid
  pid="$(cat "$TEST_REDIS_DIR/redis.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local tries=0
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do tries=$((tries + 1)); sleep 0.1; done
  fi
  rm -rf "$TEST_REDIS_DIR"
}
