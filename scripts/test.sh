#!/usr/bin/env bash
# Runs every check: lint, types, knowledge, unit tests, Rasa data validation, training, test stories,
# and end-to-end conversations with the real action server and Rasa server.
set -euo pipefail
source "$(dirname "$0")/env.sh"
ensure_venv
cd "$ROOT"

log "ruff"
ruff check bot actions tests bench

log "mypy (bot/ and actions/; [tool.mypy] in pyproject.toml)"
mypy

log "Knowledge files are complete and well-formed (helpline kb check)"
helpline kb check

log "Knowledge files load into a fresh store"
HELPLINE_DB_URL="sqlite:///$VAR/test-import.db" helpline kb import --quiet
rm -f "$VAR/test-import.db"

log "rasa data validate"
# Any warning fails, except "not used in any story" for the responses that actions send
# (the validator cannot see inside actions; domain.yml lists them under `actions:`), and "not
# found in the NLU training data" for the intents only buttons send (choose_card, choose_topic).
rasa data validate --data data >"$VAR/validate.log" 2>&1 || { cat "$VAR/validate.log"; exit 1; }
sent_by_actions="utter_choose_language|utter_fallback|utter_out_of_scope|utter_handoff|utter_handoff_started|utter_handoff_waiting|utter_offer_person|utter_service_unavailable|utter_emergency|utter_default|utter_restart"
buttons_only="choose_card|choose_topic"
if grep -E "UserWarning|ERROR" "$VAR/validate.log" \
    | grep -vE "The utterance '($sent_by_actions)' is not used in any story or rule" \
    | grep -vE "The intent '($buttons_only)' is listed in the domain file, but is not found in the NLU"; then
  log "rasa data validate reported the warnings above"; exit 1
fi

ensure_model

log "Test stories in both languages (rasa test --e2e: intents and languages are predicted from the text)"
rasa test core --e2e --model models/helpline.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out "$VAR/results" >"$VAR/rasa-test.log" 2>&1 \
  || { tail -n 60 "$VAR/rasa-test.log"; cat "$VAR/results/failed_test_stories.yml" 2>/dev/null; exit 1; }

log "Web widget: Debian's chromium for the browser tests, and the built widget"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
ensure_web

log "Web widget: syntax, and unit tests of its connection logic (node --test)"
(cd "$ROOT/web" && npm run --silent check && npm test --silent >"$VAR/web-test.log" 2>&1) \
  || { cat "$VAR/web-test.log"; exit 1; }

log "PostgreSQL for the knowledge store's tests (HELPLINE_TEST_PG_URL)"
start_test_postgres

log "Redis for the shared rate limits' tests (HELPLINE_TEST_REDIS_URL)"
start_test_redis

log "pytest (unit, actions and end-to-end)"
pytest -q "$@"
