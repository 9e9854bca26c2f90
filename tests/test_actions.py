"""The custom actions, run as the action server runs them, against a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot.answers import LABELS, format_date
from bot.knowledge.store import KnowledgeStore, Snapshot

ROOT = Path(__file__).resolve().parents[1]


def tracker(text: str, *, language: str | None = None, intent: str | None = "ask_remittances",
            confidence: float = 0.9, guess: str | None = None, best: str | None = None,
            last_topic: str | None = None, last_fact: str | None = None) -> Tracker:
    """A tracker as the action server receives it for the latest user message."""
    return Tracker.from_dict({
        "sender_id": "test-user",
        "slots": {"language": language, "last_topic": last_topic, "last_fact": last_fact},
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "entities": [],
            "language_guess": {"language": guess, "best": best or guess,
                               "confidence": 0.9 if guess else 0.0, "explicit": False},
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    })


async def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


def slots(events: list[Any]) -> dict[str, Any]:
    assert all(isinstance(e, dict) and e.get("event") == "slot" for e in events), events
    return {e["name"]: e["value"] for e in events}


@pytest.fixture(autouse=True)
def _store_url(monkeypatch: pytest.MonkeyPatch, knowledge_store: KnowledgeStore):
    """Points the actions at the session's SQLite store, and forgets it afterwards."""
    monkeypatch.setenv("HELPLINE_DB_URL", knowledge_store.url)
    actions.store.cache_clear()
    yield
    actions.store.cache_clear()


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("HELPLINE_DB_URL", url)
    actions.store.cache_clear()


# ------------------------------------------------------------------ answering questions


async def test_answer_in_the_conversation_language_with_source(snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "how many measures are in the remittances plan", language="en"))
    assert responses(messages) == []
    doc = snapshot.by_key["rem_action_plan"]
    text = texts(messages)
    assert doc.text.en in text and "8" in text
    assert "Source:" in text and format_date(doc.reviewed, "en") in text
    assert slots(events) == {"last_topic": "remittances", "last_fact": "rem_action_plan"}


async def test_answer_in_albanian_for_an_albanian_conversation(snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "sa veta jane kthyer nga anglia", language="sq", intent="ask_voluntary_return"))
    text = texts(messages)
    assert snapshot.by_key["avr_uk_450_returnees"].text.sq in text
    assert "450" in text and "Burimi:" in text and "Source:" not in text
    assert slots(events)["last_fact"] == "avr_uk_450_returnees"


async def test_first_message_sets_the_language_from_the_guess() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "sa masa ka plani i remitancave", language=None, guess="sq"))
    assert "Burimi:" in texts(messages)
    assert slots(events) == {"last_topic": "remittances", "last_fact": "rem_action_plan",
                             "language": "sq"}


async def test_a_weak_guess_is_better_than_no_language() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "remittance plan", language=None, guess=None, best="en"))
    assert "Source:" in texts(messages)
    assert slots(events)["language"] == "en"


async def test_unknown_language_asks_the_person_to_choose() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "112", language=None, guess=None))
    assert responses(messages) == ["utter_choose_language"]
    assert texts(messages) == ""
    assert events == []


async def test_a_button_payload_gets_the_topic_summary(snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "/ask_voluntary_return", language="sq", intent="ask_voluntary_return", confidence=1.0))
    summary = snapshot.summary_of("voluntary_return")
    assert summary is not None
    assert summary.text.sq in texts(messages)
    assert slots(events)["last_fact"] == summary.key


async def test_nlu_fallback_with_nonsense_gets_the_fallback_response() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "xqzt blorf wumble", language="en", intent="nlu_fallback", confidence=0.3))
    assert responses(messages) == ["utter_fallback"]
    assert events == []


async def test_nlu_fallback_with_a_clear_match_gets_a_hedged_answer() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "schengen visa free how many days", language="en", intent="nlu_fallback",
        confidence=0.3))
    text = texts(messages)
    assert text.startswith(LABELS["maybe"].en)
    assert "90" in text
    assert slots(events)["last_topic"] == "safe_migration"


async def test_a_follow_up_stays_on_the_previous_topic() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "and how many were there?", language="en", intent="ask_followup", confidence=0.8,
        last_topic="voluntary_return", last_fact="avr_what_it_is"))
    assert responses(messages) == []
    assert slots(events)["last_topic"] == "voluntary_return"


# ------------------------------------------------------------------- switching language


async def test_switch_language_repeats_the_last_answer_in_the_new_language(
        snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        "in english please", language="sq", intent="switch_language",
        last_topic="remittances", last_fact="rem_action_plan"))
    text = texts(messages)
    assert snapshot.by_key["rem_action_plan"].text.en in text
    assert "Source:" in text and "Burimi" not in text
    assert slots(events)["language"] == "en"
    assert slots(events)["last_fact"] == "rem_action_plan"


async def test_switch_language_without_a_previous_answer_confirms() -> None:
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        "shqip te lutem", language="en", intent="switch_language"))
    assert texts(messages) == LABELS["switched"].sq
    assert slots(events) == {"language": "sq"}


async def test_switch_language_follows_the_language_the_request_is_written_in() -> None:
    # "my Albanian is not good", written in English, means "use English".
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        "my albanian is not good", language="sq", intent="switch_language", guess="en"))
    assert slots(events) == {"language": "en"}
    assert texts(messages) == LABELS["switched"].en


async def test_switch_language_button_keeps_the_language_set_by_the_payload() -> None:
    # '/switch_language{"language":"en"}': the entity has already set the slot.
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        '/switch_language{"language":"en"}', language="en", intent="switch_language"))
    assert slots(events) == {"language": "en"}
    assert texts(messages) == LABELS["switched"].en


# ------------------------------------------------------------------------------ handoff


@pytest.mark.parametrize("language", ["sq", "en"])
async def test_handoff_lists_contacts_with_phone_numbers(language: str) -> None:
    messages, events = await run(actions.ActionHandoff(), tracker(
        "i want to talk to a person", language=language, intent="request_human"))
    assert responses(messages) == ["utter_handoff"]
    assert "116 006" in texts(messages)
    assert events == []


async def test_handoff_without_a_language_asks_for_one() -> None:
    messages, _ = await run(actions.ActionHandoff(), tracker("", language=None))
    assert responses(messages) == ["utter_choose_language"]


# ------------------------------------------------------------------ store unavailable


def _not_a_database(tmp_path: Path) -> str:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this file is not a SQLite database " * 200)
    return f"sqlite:///{path}"


def _never_imported(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/empty.db"


def _refused_connection(tmp_path: Path) -> str:
    pytest.importorskip("psycopg2")
    return "postgresql://helpline:secret@127.0.0.1:1/helpline?connect_timeout=2"


def _unreachable_path(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("not a folder")
    return f"sqlite:///{tmp_path}/a-file/kb.db"


def _tables_but_no_content(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/no-content.db"
    store = KnowledgeStore(url)
    store.upgrade()  # the tables, as `helpline kb upgrade` makes them
    store.close()
    return url


BROKEN = [
    pytest.param(_not_a_database, id="not-a-database"),
    pytest.param(_never_imported, id="never-imported"),
    pytest.param(_refused_connection, id="connection-refused"),
    pytest.param(_unreachable_path, id="path-under-a-file"),
]
# Actions that cannot answer without the store (switching language can; tested below).
ACTIONS = [
    (actions.ActionAnswerQuestion(), "how many returned from the uk"),
    (actions.ActionHandoff(), "i want a person"),
]


@pytest.mark.parametrize("broken", BROKEN)
@pytest.mark.parametrize(("action", "text"), ACTIONS, ids=[a.name() for a, _ in ACTIONS])
async def test_an_unavailable_store_gets_an_apology_not_a_crash(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, broken, action: Action,
        text: str) -> None:
    use_database(monkeypatch, broken(tmp_path))
    messages, events = await run(action, tracker(text, language="sq"))
    assert responses(messages) == ["utter_service_unavailable"]
    assert texts(messages) == ""
    assert events == []


async def test_a_store_with_tables_but_no_content_gets_an_apology(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_database(monkeypatch, _tables_but_no_content(tmp_path))
    messages, _ = await run(actions.ActionAnswerQuestion(), tracker("remittances", language="en"))
    assert responses(messages) in (["utter_service_unavailable"], ["utter_fallback"])


async def test_switching_language_works_while_the_store_is_down(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_database(monkeypatch, _not_a_database(tmp_path))
    _, events = await run(actions.ActionSwitchLanguage(), tracker(
        "change the language to english", language="sq", intent="switch_language"))
    assert SlotSet("language", "en") in events


async def test_the_store_recovers_after_the_cache_is_cleared(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, knowledge_store: KnowledgeStore) -> None:
    use_database(monkeypatch, _not_a_database(tmp_path))
    messages, _ = await run(actions.ActionHandoff(), tracker("person", language="en"))
    assert responses(messages) == ["utter_service_unavailable"]
    use_database(monkeypatch, knowledge_store.url)
    messages, _ = await run(actions.ActionHandoff(), tracker("person", language="en"))
    assert responses(messages) == ["utter_handoff"]


# ---------------------------------------------------------------------- domain wiring


def test_every_action_is_declared_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = {cls().name() for cls in (actions.ActionAnswerQuestion, actions.ActionSwitchLanguage,
                                      actions.ActionHandoff)}
    assert names <= set(domain["actions"])
    for response in ("utter_choose_language", "utter_fallback", "utter_handoff",
                     "utter_service_unavailable"):  # the responses the actions send
        assert response in domain["responses"]
