#!/usr/bin/env bash
# Runs the assistant: sets up the environment, loads the knowledge, trains when needed,
# starts the action server and Rasa on this machine, and prints where to talk to it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
ensure_venv
ensure_knowledge
ensure_model
ensure_web

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() {  # url, name, log
  for _ in $(seq 1 240); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  log "$2 did not start; last lines of $3:"; tail -n 30 "$3" >&2; exit 1
}

log "Starting the action server on 127.0.0.1:$ACTION_PORT"
(cd "$ROOT" && SANIC_HOST=127.0.0.1 exec rasa run actions --actions actions --port "$ACTION_PORT") \
  >"$VAR/actions.log" 2>&1 &
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
log "Starting Rasa on ${RASA_INTERFACE:-127.0.0.1}:$RASA_PORT"
# helpline-rasa is `rasa` with one fix to Rasa applied (bot/launcher.py)
(cd "$ROOT" && exec helpline-rasa run --model models/helpline.tar.gz --interface "${RASA_INTERFACE:-127.0.0.1}" \
  --port "$RASA_PORT" --cors "${cors[@]}" "${api[@]}") \
  >"$VAR/rasa.log" 2>&1 &
pids+=($!)

log "Starting the web widget's demo page on 127.0.0.1:$WEB_PORT"
(cd "$ROOT" && RASA_PUBLIC_URL="${RASA_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}" \
  exec python -m bot.web.server) >"$VAR/web.log" 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$ACTION_PORT/health" "The action server" "$VAR/actions.log"
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa" "$VAR/rasa.log"
wait_for "http://127.0.0.1:$WEB_PORT/healthz" "The web widget server" "$VAR/web.log"
cat <<MSG

  The assistant is running.
  REST:      curl -s -X POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
               -H 'Content-Type: application/json' -d '{"sender":"me","message":"Përshëndetje"}'
  socketio:  ws://127.0.0.1:$RASA_PORT/socket.io
$(grep -E '^[a-z]+: started' <<< "$channels" | sed -E 's#^([a-z]+): started at (.*)#  \1: http://127.0.0.1:'"$RASA_PORT"'\2#')
  Web chat:  http://127.0.0.1:$WEB_PORT/   (demo page with the widget)
  Logs:      var/rasa.log, var/actions.log, var/web.log      Stop: Ctrl+C

MSG
wait -n "${pids[@]}"
