#!/usr/bin/env bash
# Runs the assistant: sets up the environment, loads the knowledge, trains when needed,
# starts the action server, Rasa, the widget's page and the operator console on this machine,
# and prints where to talk to it.
#   scripts/run.sh             embedded: SQLite files under var/, one Rasa, no servers to install
#   scripts/run.sh --cluster   PostgreSQL, Redis, HELPLINE_REPLICAS Rasa replicas behind HAProxy
#                              on RASA_PORT (scripts/cluster.sh)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cluster=""
case "${1:-}" in
  "") ;;
  --cluster) cluster=1; source "$ROOT/scripts/cluster.sh" ;;
  *) echo "usage: scripts/run.sh [--cluster]" >&2; exit 2 ;;
esac
ensure_venv
[ -n "$cluster" ] || ensure_knowledge   # cluster mode: into its PostgreSQL, once that runs
ensure_model
ensure_web

LOGS="${HELPLINE_LOG_DIR:-$VAR}"   # rasa.log, actions.log, web.log, console.log: appended, rotated past 10 MB
mkdir -p "$LOGS"
pids=()
cleanup() {  # each supervisor stops what it runs, then itself (supervise's trap)
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# A stop while the servers are still starting (wait_for) ends run.sh too, not just its servers.
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

rotate_log() {  # log file: keeps one previous file of 10 MB at most
  if [ -f "$1" ] && [ "$(stat -c %s "$1")" -gt $((10 * 1024 * 1024)) ]; then mv -f "$1" "$1.1"; fi
}

# Runs a command again whenever it exits, so that one crashed process does not take the others
# down: after 1 s, then 2, 4 ... up to 30 s while it keeps failing at once (back to 1 s once it
# has run for a minute). Its output is appended to its log, never truncated.
# STOP_SIGNAL (TERM unless set) is what its process is stopped with.
supervise() {  # name, log file, command...
  local name="$1" file="$2" delay=1 started status child="" stop="${STOP_SIGNAL:-TERM}"
  shift 2
  # stopped (by run.sh's cleanup, or by anyone), it stops its process first: none is left behind
  trap 'if [ -n "$child" ]; then kill -s "$stop" "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi; exit 0' TERM INT
  while true; do
    rotate_log "$file"
    started=$SECONDS
    status=0
    "$@" >>"$file" 2>&1 &
    child=$!
    wait "$child" || status=$?
    child=""
    if (( SECONDS - started >= 60 )); then delay=1; fi
    log "$name stopped (exit status $status); starting it again in ${delay} s (log: $file)"
    sleep "$delay"
    delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
  done
}

wait_for() {  # url, name, log[, seconds (120)]
  local deadline=$((SECONDS + ${4:-120}))
  while (( SECONDS < deadline )); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  log "$2 did not start; last lines of $3:"; tail -n 30 "$3" >&2; exit 1
}

cd "$ROOT"
# The operator console's key to Rasa's operator routes (docs/handoff.md), unless
# HELPLINE_CONSOLE_TOKEN is set: made once, readable by this user only, read by both processes.
if [ -z "${HELPLINE_CONSOLE_TOKEN:-}" ] && [ ! -s "$VAR/console.token" ]; then
  (umask 077 && python -c "import secrets; print(secrets.token_urlsafe(32))" > "$VAR/console.token")
fi
# The keys sender ids are hashed with (bot/privacy.py) and web sessions signed with (bot/sessions.py),
# made here once, before several processes would race to make them.
python -c "from bot import privacy, sessions; privacy.keyed_hash(''); sessions.issue()"
if [ -n "$cluster" ]; then
  start_cluster_stores
  ensure_knowledge
fi
log "Starting the action server on 127.0.0.1:$ACTION_PORT"
SANIC_HOST=127.0.0.1 supervise "The action server" "$LOGS/actions.log" \
  rasa run actions --actions actions --port "$ACTION_PORT" &
pids+=($!)

api=()
if [ -n "${RASA_AUTH_TOKEN:-}" ]; then
  api=(--enable-api --auth-token "$RASA_AUTH_TOKEN")   # Rasa's HTTP API only ever with a token
fi
# Origins allowed to call Rasa from a browser (space-separated): its own and the widget's page.
read -r -a cors <<< "${RASA_CORS:-http://127.0.0.1:$RASA_PORT http://127.0.0.1:$WEB_PORT}"
# Messaging channels (credentials.yml, docs/channels.md) start when their variables are set.
channels="$(cd "$ROOT" && helpline channels status)"
while IFS= read -r line; do log "Channel $line"; done <<< "$channels"
if [ -n "$cluster" ]; then
  start_cluster_replicas --cors "${cors[@]}" "${api[@]}"
  start_cluster_proxy
else
  log "Starting Rasa on ${RASA_INTERFACE:-127.0.0.1}:$RASA_PORT"
  # helpline-rasa is `rasa` with one fix to Rasa applied (bot/launcher.py)
  supervise "Rasa" "$LOGS/rasa.log" helpline-rasa run --model models/helpline.tar.gz \
    --interface "${RASA_INTERFACE:-127.0.0.1}" --port "$RASA_PORT" --cors "${cors[@]}" "${api[@]}" &
  pids+=($!)
fi

log "Starting the web widget's demo page on 127.0.0.1:$WEB_PORT"
RASA_PUBLIC_URL="${RASA_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}" \
  supervise "The web widget server" "$LOGS/web.log" python -m bot.web.server &
pids+=($!)

log "Starting the operator console on ${CONSOLE_HOST:-127.0.0.1}:$CONSOLE_PORT"
CONSOLE_RASA_URL="${CONSOLE_RASA_URL:-http://127.0.0.1:$RASA_PORT}" \
  supervise "The operator console" "$LOGS/console.log" python -m bot.console.app &
pids+=($!)

wait_for "http://127.0.0.1:$ACTION_PORT/health" "The action server" "$LOGS/actions.log"
if [ -n "$cluster" ]; then
  wait_for "http://127.0.0.1:$RASA_PORT/" "HAProxy" "$LOGS/haproxy.log"
else
  wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa" "$LOGS/rasa.log"
fi
wait_for "http://127.0.0.1:$WEB_PORT/healthz" "The web widget server" "$LOGS/web.log"
wait_for "http://${CONSOLE_HOST:-127.0.0.1}:$CONSOLE_PORT/healthz" "The operator console" "$LOGS/console.log"
cat <<MSG

  The assistant is running.
  REST:      curl -s -X POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
               -H 'Content-Type: application/json' -d '{"sender":"me","message":"Përshëndetje"}'
  socketio:  ws://127.0.0.1:$RASA_PORT/socket.io
$(grep -E '^[a-z]+: started' <<< "$channels" | sed -E 's#^([a-z]+): started at (.*)#  \1: http://127.0.0.1:'"$RASA_PORT"'\2#')
  Web chat:  http://127.0.0.1:$WEB_PORT/   (demo page with the widget)
  Operators: http://${CONSOLE_HOST:-127.0.0.1}:$CONSOLE_PORT/   (operator console; first account:
               .venv/bin/helpline operators add NAME --role supervisor)
$([ -z "$cluster" ] || cluster_summary)
  Logs:      $LOGS/*.log (a process that stops is started again)   Stop: Ctrl+C

MSG
wait -n "${pids[@]}"
