"""The custom actions, run as the action server runs them, against a real SQLite store.

The store holds the fixture knowledge (tests/fixtures/knowledge). The NLU outputs an action
reads (intent, card ranking, entities, danger signals) are given explicitly: these tests check
what the actions do with them; the card model and the whole pipeline are tested elsewhere
(test_card_model.py, test_e2e.py).
"""

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
from bot.knowledge.model import Snapshot
from bot.knowledge.store import KnowledgeStore

ROOT = Path(__file__).resolve().parents[1]


def tracker(text: str, *, language: str | None = None, intent: str | None = "ask_question",
            confidence: float = 0.9, guess: str | None = None, best: str | None = None,
            ranking: list[tuple[str, float]] | None = None, entities: dict[str, Any] | None = None,
            slots: dict[str, Any] | None = None, signals: list[str] | None = None,
            danger_hint: bool = False, answered_by: str | None = None) -> Tracker:
    """A tracker as the action server receives it for the latest user message."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "card_ranking": [{"card": c, "confidence": p} for c, p in ranking or []],
        "language_guess": {"language": guess, "best": best or guess,
                           "confidence": 0.9 if guess else 0.0, "explicit": False},
    }
    if signals:
        latest["danger_signals"] = signals
    if danger_hint:
        latest["danger_hint"] = True
    return Tracker.from_dict({
        "sender_id": "test-user",
        "slots": {"language": language, "last_card": None, "country": None, "location": None,
                  "asker": None, "minor": None, **(slots or {})},
        "latest_message": latest, "paused": False, "followup_action": None,
        "events": [{"event": "user", "text": "before"}, {"event": "action", "name": answered_by},
                   {"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
        if answered_by else [],
        "active_loop": {}, "latest_action_name": None,
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


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("HELPLINE_DB_URL", url)
    actions.store.cache_clear()
    actions.handoffs.cache_clear()


@pytest.fixture(autouse=True)
def _store_url(monkeypatch: pytest.MonkeyPatch, fixture_store: KnowledgeStore):
    """Points the actions at the fixture store, and forgets it afterwards."""
    use_database(monkeypatch, fixture_store.url)
    yield
    actions.store.cache_clear()
    actions.handoffs.cache_clear()


WORK_IT = [("work_it", 0.7), ("work_it_duration", 0.2), ("work_general", 0.1)]


# ------------------------------------------------------------------ answering questions


async def test_answer_in_the_conversation_language_with_its_source(fixture_snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "how does the decreto flussi work", language="en", ranking=WORK_IT))
    card = fixture_snapshot.card("work_it")
    text = texts(messages)
    assert responses(messages) == []
    assert text.startswith(card.answer.en)
    assert card.next_step.en in text
    assert "Source: Ministero dell'Interno" in text and format_date(card.reviewed, "en") in text
    assert slots(events) == {"last_card": "work_it"}


async def test_answer_in_albanian_for_an_albanian_conversation(fixture_snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "si punoj ne gjermani", language="sq", ranking=[("work_de", 0.8), ("work_general", 0.1)]))
    text = texts(messages)
    assert fixture_snapshot.card("work_de").answer.sq in text
    assert "Burimi:" in text and "Source:" not in text
    assert slots(events)["last_card"] == "work_de"


async def test_first_message_sets_the_language_from_the_guess() -> None:
    _, events = await run(actions.ActionAnswerQuestion(), tracker(
        "si punoj ne itali", language=None, guess="sq", ranking=WORK_IT))
    assert slots(events) == {"last_card": "work_it", "language": "sq"}


async def test_a_weak_guess_is_better_than_no_language() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "decreto flussi", language=None, guess=None, best="en", ranking=WORK_IT))
    assert "Source:" in texts(messages)
    assert slots(events)["language"] == "en"


async def test_unknown_language_asks_the_person_to_choose() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker("112", language=None))
    assert responses(messages) == ["utter_choose_language"]
    assert events == []


async def test_a_card_button_shows_that_card(fixture_snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        '/choose_card{"card":"work_de"}', language="en", intent="choose_card", entities={"card": "work_de"},
        ranking=WORK_IT))
    assert fixture_snapshot.card("work_de").answer.en in texts(messages)
    assert slots(events)["last_card"] == "work_de"


async def test_a_topic_button_offers_the_topics_cards_as_buttons() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        '/choose_topic{"topic":"work"}', language="sq", intent="choose_topic", entities={"topic": "work"}))
    assert texts(messages).startswith("Punë jashtë: çfarë doni të dini?")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == '/choose_card{"card":"work_general"}'  # the general overview first
    assert len(payloads) >= 2 and events == []


async def test_a_follow_up_naming_another_country_gets_that_countrys_card() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "po per gjermanine?", language="sq", intent="ask_followup", entities={"country": "DE"},
        ranking=[("work_it", 0.5), ("work_de", 0.3)], slots={"last_card": "work_it", "country": "IT"}))
    assert slots(events)["last_card"] == "work_de"
    assert "Ballkanit" in texts(messages)


async def test_a_message_close_to_an_emergency_starts_with_the_numbers() -> None:
    messages, _ = await run(actions.ActionAnswerQuestion(), tracker(
        "my boss pays me late", language="en", ranking=WORK_IT, danger_hint=True))
    assert messages[0]["text"] == "In danger? Call [112](tel:112) · trafficking: [116 006](tel:116006)."
    assert messages[1]["text"].startswith("In Italy the employer")


async def test_out_of_scope_gets_the_out_of_scope_reply() -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "who wins the world cup", language="en", intent="out_of_scope", ranking=[("work_de", 0.2)]))
    assert responses(messages) == ["utter_out_of_scope"] and events == []


# ----------------------------------------------------------------------------- emergency


async def test_an_emergency_abroad_gets_that_countrys_numbers_first() -> None:
    messages, events = await run(actions.ActionEmergency(), tracker(
        "they took my passport, i'm in a house near naples", language="en", intent="report_emergency",
        signals=["documents_taken"]))
    text = texts(messages)
    assert text.startswith("🚨 If you are in danger now, call [112](tel:112) (Emergency number in Italy).")
    assert "Anti-trafficking helpline in Italy: [800 290 290](tel:800290290)." in text
    assert "[116 006](tel:116006)" in text and "embassy or consulate in Italy" in text
    assert text.endswith("We believe you, and you are not alone.")
    assert slots(events) == {"language": "en", "last_card": "help_abroad_it"}


async def test_after_an_emergency_with_its_card_the_follow_ups_go_on_from_whom_to_call_there() -> None:
    messages, events = await run(actions.ActionEmergency(), tracker(
        "my brother is in italy, his boss took his passport", language="en", intent="report_emergency",
        signals=["documents_taken"], ranking=[("work_it", 0.9)]))
    assert len(messages) == 2  # the emergency reply, then the card the message was close to
    assert slots(events)["last_card"] == "help_abroad_it"


async def test_the_card_an_emergency_remembered_is_shown_when_asked_for_but_an_answer_is_not_repeated() -> None:
    after = {"ranking": [("help_abroad_it", 0.8), ("work_it", 0.1)], "language": "en",
             "slots": {"last_card": "help_abroad_it", "country": "IT", "location": "abroad"}}
    _, events = await run(actions.ActionAnswerQuestion(), tracker(
        "what can he do there?", answered_by="action_emergency", **after))
    assert slots(events)["last_card"] == "help_abroad_it"
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        "is it free?", answered_by="action_answer_question", **after))  # not what that card says
    assert "last_card" not in slots(events) or slots(events)["last_card"] != "help_abroad_it"
    assert "help_abroad_it" not in str(messages)


async def test_an_emergency_for_a_child_written_by_a_parent() -> None:
    messages, _ = await run(actions.ActionEmergency(), tracker(
        "vajza ime 15 vjec po e shesin", language="sq", intent="report_emergency", signals=["person_sold"]))
    text = texts(messages)
    assert text.startswith("🚨 Nëse dikush është në rrezik tani, telefononi [112](tel:112)")
    assert "Për një fëmijë: [116 111](tel:116111)" in text
    assert "Çfarë mund të bëni tani" in text and "Ju besojmë" not in text


async def test_an_emergency_without_a_known_language_gets_the_bilingual_numbers() -> None:
    messages, events = await run(actions.ActionEmergency(), tracker(
        "!!!", language=None, intent="report_emergency", signals=["help_now"]))
    assert responses(messages) == ["utter_emergency"] and events == []


async def test_an_emergency_while_the_store_is_down_gets_the_domains_numbers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_database(monkeypatch, _not_a_database(tmp_path))
    messages, events = await run(actions.ActionEmergency(), tracker(
        "help me", language="sq", intent="report_emergency", signals=["help_now"]))
    assert responses(messages) == ["utter_emergency"]
    assert slots(events) == {"language": "sq"}


# ------------------------------------------------------------------- switching language


async def test_switch_language_repeats_the_last_answer_in_the_new_language(fixture_snapshot: Snapshot) -> None:
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        "in english please", language="sq", intent="switch_language", slots={"last_card": "work_it"}))
    assert fixture_snapshot.card("work_it").answer.en in texts(messages)
    assert slots(events) == {"language": "en", "last_card": "work_it"}


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
    messages, events = await run(actions.ActionSwitchLanguage(), tracker(
        '/switch_language{"language":"en"}', language="en", intent="switch_language"))
    assert slots(events) == {"language": "en"}
    assert texts(messages) == LABELS["switched"].en


# ------------------------------------------------------------------------------ handoff


@pytest.mark.parametrize("language", ["sq", "en"])
async def test_handoff_lists_where_a_person_answers(language: str) -> None:
    messages, events = await run(actions.ActionHandoff(), tracker(
        "i want to talk to a person", language=language, intent="request_human"))
    assert responses(messages) == ["utter_handoff"]
    assert "[116 006](tel:116006)" in texts(messages)
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
# Actions that cannot answer without the store (switching language and the emergency can).
ACTIONS = [
    (actions.ActionAnswerQuestion(), "how do i work in italy"),
    (actions.ActionHandoff(), "i want a person"),
]


@pytest.mark.parametrize("broken", BROKEN)
@pytest.mark.parametrize(("action", "text"), ACTIONS, ids=[a.name() for a, _ in ACTIONS])
async def test_an_unavailable_store_gets_an_apology_not_a_crash(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, broken, action: Action, text: str) -> None:
    use_database(monkeypatch, broken(tmp_path))
    messages, events = await run(action, tracker(text, language="sq", ranking=WORK_IT))
    assert responses(messages) == ["utter_service_unavailable"]
    assert texts(messages) == ""
    assert events == []


async def test_a_store_with_tables_but_no_content_gets_the_fallback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_database(monkeypatch, _tables_but_no_content(tmp_path))
    messages, _ = await run(actions.ActionAnswerQuestion(), tracker("work", language="en", ranking=WORK_IT))
    assert responses(messages) == ["utter_fallback"]


async def test_switching_language_works_while_the_store_is_down(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_database(monkeypatch, _not_a_database(tmp_path))
    _, events = await run(actions.ActionSwitchLanguage(), tracker(
        "change the language to english", language="sq", intent="switch_language"))
    assert SlotSet("language", "en") in events


async def test_the_store_recovers_after_the_cache_is_cleared(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixture_store: KnowledgeStore) -> None:
    use_database(monkeypatch, _not_a_database(tmp_path))
    messages, _ = await run(actions.ActionHandoff(), tracker("person", language="en"))
    assert responses(messages) == ["utter_service_unavailable"]
    use_database(monkeypatch, fixture_store.url)
    messages, _ = await run(actions.ActionHandoff(), tracker("person", language="en"))
    assert responses(messages) == ["utter_handoff"]


# ---------------------------------------------------------------------- domain wiring


def test_every_action_is_declared_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = {cls().name() for cls in (actions.ActionAnswerQuestion, actions.ActionSwitchLanguage,
                                      actions.ActionHandoff, actions.ActionEmergency)}
    assert names <= set(domain["actions"])
    for response in ("utter_choose_language", "utter_fallback", "utter_out_of_scope", "utter_handoff",
                     "utter_service_unavailable", "utter_emergency"):  # the responses the actions send
        assert response in domain["responses"] and response in domain["actions"]
