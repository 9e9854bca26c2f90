"""The handoffs' store (bot/handoff.py) on SQLite and PostgreSQL, the actions that start a
handoff and keep it paused across a session start, and the tracker store's own new sessions.

The end-to-end behaviour (real Rasa, real channels, the console's client) is in
tests/test_handoff_e2e.py; these tests pin the rules each part keeps on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from test_actions import responses, texts, tracker

from actions import actions
from bot.handoff import HandoffStore, parse_hours, wait_phrase
from bot.handoff_client import Gone, HandoffError, HeldByOther, NotFound
from bot.knowledge.store import KnowledgeStore
from bot.tracker_store import continue_in_new_session

ALWAYS = "Mon-Sun 00:00-24:00 UTC"


@pytest.fixture
def handoffs(database_url: str) -> Iterator[HandoffStore]:
    store = HandoffStore(database_url, hours=ALWAYS)
    yield store
    store.engine.dispose()


def queued(store: HandoffStore, conversation: str = "h-one", **kwargs: object) -> str:
    store.heartbeat("ana", True)
    request = store.request(conversation, kwargs.pop("language", "sq"), "rest", None,  # type: ignore[arg-type]
                            bool(kwargs.pop("danger", False)), **kwargs)  # type: ignore[arg-type]
    assert request.handoff is not None
    return request.handoff.id


# ------------------------------------------------------------------------------ the state machine


def race(handoffs: HandoffStore, handoff_id: str) -> list[str | HeldByOther]:
    """Two operators take the same handoff at the same moment, from two threads."""
    start, outcomes = threading.Barrier(2), []

    def take(operator: str) -> None:
        start.wait()
        try:
            outcomes.append(handoffs.take(handoff_id, operator).held_by)
        except HeldByOther as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=take, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_of_two_operators_taking_at_once_exactly_one_wins(handoffs: HandoffStore) -> None:
    for round_ in range(5):
        handoff_id = queued(handoffs, f"h-race-{round_}")
        outcomes = race(handoffs, handoff_id)
        winners = [o for o in outcomes if isinstance(o, str)]
        assert len(winners) == 1, outcomes
        loser = next(o for o in outcomes if isinstance(o, HeldByOther))
        assert f"{winners[0]} is already answering" in loser.message
        assert handoffs.get(handoff_id).held_by == winners[0]


def test_taking_again_is_harmless_and_the_states_follow_the_rules(handoffs: HandoffStore) -> None:
    handoff_id = queued(handoffs)
    with pytest.raises(HandoffError, match="Take the conversation"):
        handoffs.holding(handoff_id, "ana")
    assert handoffs.take(handoff_id, "ana").state == "held"
    assert handoffs.take(handoff_id, "ana").state == "held"
    with pytest.raises(HeldByOther):
        handoffs.end(handoff_id, "ben", "released")
    assert handoffs.end(handoff_id, "ana", "released").state == "released"
    with pytest.raises(Gone, match="no longer in the queue"):
        handoffs.take(handoff_id, "ana")
    assert not handoffs.is_open("h-one")


def test_one_open_handoff_per_conversation(handoffs: HandoffStore) -> None:
    assert queued(handoffs) == queued(handoffs)
    assert len(handoffs.queue()) == 1


def test_a_rest_reply_is_delivered_once_even_after_the_release(handoffs: HandoffStore) -> None:
    handoff_id = queued(handoffs)
    handoffs.take(handoff_id, "ana")
    handoffs.replied(handoff_id, 100.0)
    handoffs.end(handoff_id, "ana", "released")
    assert handoffs.latest_for("h-one").id == handoff_id  # type: ignore[union-attr]
    assert handoffs.mark_delivered(handoff_id, 0.0, 100.0)
    assert not handoffs.mark_delivered(handoff_id, 0.0, 100.0)  # a second request at once: not again
    assert handoffs.latest_for("h-one") is None  # nothing left: an ordinary conversation again


@pytest.mark.parametrize("handoff_id", ["nope", "x" * 40, "../../etc", "A" * 24])
def test_an_unknown_or_malformed_id_is_not_found(handoffs: HandoffStore, handoff_id: str) -> None:
    with pytest.raises(NotFound, match="no such conversation"):
        handoffs.get(handoff_id)


@pytest.mark.parametrize("operator", ["", "   ", "a\nb", "x" * 65, None, 7])
def test_an_operator_name_must_be_printable_and_short(handoffs: HandoffStore, operator: object) -> None:
    handoff_id = queued(handoffs)
    with pytest.raises(HandoffError, match="1-64 printable"):
        handoffs.take(handoff_id, operator)  # type: ignore[arg-type]


def test_the_queue_shows_danger_first_then_the_oldest(handoffs: HandoffStore) -> None:
    old = queued(handoffs, "h-old", now=1000.0)
    new = queued(handoffs, "h-new", now=2000.0)
    danger = queued(handoffs, "h-danger", danger=True, now=3000.0)
    assert [h.id for h in handoffs.queue()] == [danger, old, new]
    handoffs.flag(new, danger=True)
    assert [h.id for h in handoffs.queue()] == [new, danger, old]  # both in danger: the older first


def test_a_deleted_conversation_closes_its_handoff_and_drops_the_address(handoffs: HandoffStore,
                                                                         database_url: str) -> None:
    handoff_id = queued(handoffs)
    handoffs.seen(handoff_id, "socketio", "0123456789abcdef0123456789abcdef")
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as connection:
        stored = connection.execute(sqlalchemy.text("select address from handoffs")).scalar_one()
    engine.dispose()
    assert stored and "0123456789abcdef" not in stored  # encrypted, never the session id itself
    assert handoffs.get(handoff_id).address == "0123456789abcdef0123456789abcdef"
    assert handoffs.forget(["h-one"]) == 1
    handoff = handoffs.get(handoff_id)
    assert (handoff.state, handoff.deleted, handoff.address) == ("closed", True, None)
    with pytest.raises(Gone, match="deleted"):
        handoffs.take(handoff_id, "ana")


# ------------------------------------------------------------------------------ availability


def test_nobody_is_queued_without_a_present_operator(handoffs: HandoffStore) -> None:
    now = time.time()
    assert handoffs.request("h-alone", "en", "rest", None, False, now).handoff is None
    handoffs.heartbeat("ana", True, now - 300)  # a console that stopped beating five minutes ago
    assert not handoffs.available(now)
    handoffs.heartbeat("ana", True, now)
    assert handoffs.available(now)
    handoffs.heartbeat("ana", False, now)  # signed out
    assert not handoffs.available(now)
    assert handoffs.queue() == []


def test_outside_the_hours_nobody_is_queued(database_url: str) -> None:
    store = HandoffStore(database_url, hours="Mon-Fri 08:00-20:00 Europe/Tirane")
    saturday_noon = datetime(2026, 12, 5, 11, 0, tzinfo=timezone.utc).timestamp()
    tuesday_noon = datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc).timestamp()
    store.heartbeat("ana", True, saturday_noon)
    assert not store.available(saturday_noon)
    store.heartbeat("ana", True, tuesday_noon)
    assert store.available(tuesday_noon)
    store.engine.dispose()


def test_hours_are_read_and_told_in_both_languages() -> None:
    hours = parse_hours("Mon-Fri 08:00-20:00, Sat 09:00-13:00 Europe/Tirane")
    assert hours.describe("sq") == "e hënë – e premte, 08:00–20:00; e shtunë, 09:00–13:00 (ora e Tiranës)"
    assert hours.describe("en") == "Monday to Friday, 08:00–20:00; Saturday, 09:00–13:00 (Tirana time)"
    # 19:30 in Tirana on a Friday in winter is 18:30 UTC: open; 20:30 is closed
    assert hours.open_at(datetime(2026, 12, 4, 18, 30, tzinfo=timezone.utc))
    assert not hours.open_at(datetime(2026, 12, 4, 19, 30, tzinfo=timezone.utc))


@pytest.mark.parametrize(("value", "problem"), [
    ("Mon-Fri 08:00-20:00", "time zone"),
    ("Mon-Fri 08:00-20:00 Mars/Olympus", "time zone"),
    ("Mo-Fr 08:00-20:00 UTC", "not like"),
    ("Mon-Fri 20:00-08:00 UTC", "ends before"),
    ("Mon-Fri 08:00-25:00 UTC", "not a time"),
])
def test_a_wrong_hours_setting_names_the_variable(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"HELPLINE_OPERATOR_HOURS.*{problem}"):
        parse_hours(value)


def test_the_expected_wait_comes_from_answered_handoffs(handoffs: HandoffStore) -> None:
    now = time.time()
    assert handoffs.wait_minutes(now) is None
    for i, wait in enumerate((60.0, 180.0, 300.0)):
        handoff_id = queued(handoffs, f"h-{i}", now=now - 1000)
        handoffs.take(handoff_id, "ana", now=now - 1000 + wait)
    assert handoffs.wait_minutes(now) == 3  # the median, nobody else waiting
    queued(handoffs, "h-a", now=now)
    queued(handoffs, "h-b", now=now)
    assert handoffs.wait_minutes(now) == 6  # two people waiting
    assert wait_phrase(None, "sq") == "disa minuta" and wait_phrase(1, "en") == "about 1 minute"


def test_the_summary_counts_only(handoffs: HandoffStore) -> None:
    day = datetime(2026, 12, 1, tzinfo=timezone.utc)
    start = day.timestamp()
    for i, wait in enumerate((30.0, 90.0, None)):
        handoff_id = queued(handoffs, f"h-{i}", now=start + 3600 * (i + 1))
        if wait is not None:
            handoffs.take(handoff_id, "ana", now=start + 3600 * (i + 1) + wait)
    queued(handoffs, "h-next-day", now=start + 90000)
    assert handoffs.summary(day, day + timedelta(days=1)) == {
        "handoffs": 3, "answered": 2, "never_answered": 1, "mean_wait_seconds": 60.0, "median_wait_seconds": 60.0}
    with pytest.raises(HandoffError, match="end of the period"):
        handoffs.summary(day, day)


# ------------------------------------------------------------------------------ the actions


@pytest.fixture
def action_db(monkeypatch: pytest.MonkeyPatch, fixture_store: KnowledgeStore) -> Iterator[HandoffStore]:
    """The actions' handoffs in the fixture knowledge's database, operators always on duty."""
    monkeypatch.setenv("HELPLINE_DB_URL", fixture_store.url)
    monkeypatch.setenv("HELPLINE_OPERATOR_HOURS", ALWAYS)
    actions.store.cache_clear()
    actions.handoffs.cache_clear()
    store = actions.handoffs()
    yield store
    with store.engine.begin() as connection:
        connection.execute(sqlalchemy.text("delete from handoffs"))
        connection.execute(sqlalchemy.text("delete from operator_presence"))
    actions.handoffs.cache_clear()


async def run_handoff(language: str, sender: str = "h-asker") -> tuple[list[dict[str, object]], list[object]]:
    asked = tracker("dua te flas me nje njeri", language=language, intent="request_human")
    asked.sender_id = sender
    dispatcher = CollectingDispatcher()
    return dispatcher.messages, await actions.ActionHandoff().run(dispatcher, asked, {})


@pytest.mark.parametrize("language", ["sq", "en"])
async def test_asking_for_a_person_queues_and_pauses(action_db: HandoffStore, language: str) -> None:
    action_db.heartbeat("ana", True)
    messages, events = await run_handoff(language)
    assert responses(messages) == ["utter_handoff_started"]
    started = messages[0]
    assert started["wait"] == wait_phrase(None, language)  # type: ignore[arg-type]
    assert "[116 006](tel:116006)" in str(started["numbers"])  # from the store, as a phone link
    assert [e["event"] for e in events] == ["pause", "action"]  # type: ignore[index]
    [item] = action_db.queue()
    assert (item.conversation, item.language, item.state) == ("h-asker", language, "waiting")


@pytest.mark.parametrize("language", ["sq", "en"])
async def test_with_nobody_present_the_hours_and_the_numbers(action_db: HandoffStore, language: str) -> None:
    messages, events = await run_handoff(language)
    assert responses(messages) == ["utter_handoff"]
    assert messages[0]["hours"] == parse_hours(ALWAYS).describe(language)  # type: ignore[arg-type]
    assert "[116 006](tel:116006)" in texts(messages)
    assert events == [] and action_db.queue() == []


async def test_a_session_start_keeps_a_waiting_conversation_paused(action_db: HandoffStore) -> None:
    action_db.heartbeat("ana", True)
    await run_handoff("sq", "h-waits")
    for sender, paused in (("h-waits", True), ("h-other", False)):
        started = tracker("", language="sq", slots={"country": "IT"})
        started.sender_id = sender
        events = await actions.ActionSessionStart().run(CollectingDispatcher(), started, {})
        kinds = [e["event"] for e in events]
        assert kinds[0] == "session_started" and kinds[-1] == "action"
        assert ("pause" in kinds) is paused
        assert {"event": "slot", "name": "country", "value": "IT", "timestamp": None} in events


async def test_the_emergency_answer_offers_a_person_only_when_one_can_answer(action_db: HandoffStore) -> None:
    danger = tracker("me kane marre pasaporten", language="sq", intent="report_emergency",
                     signals=["documents_taken"])
    offered = []
    for present in (False, True):
        action_db.heartbeat("ana", present)
        dispatcher = CollectingDispatcher()
        await actions.ActionEmergency().run(dispatcher, danger, {})
        assert dispatcher.messages[0]["text"].startswith("🚨")  # the emergency answer first
        offered.append("utter_offer_person" in responses(dispatcher.messages))
    assert offered == [False, True]


# ------------------------------------------------------------------------------ the tracker store


def test_a_long_paused_conversation_stays_paused_in_its_next_session() -> None:
    domain = Domain.from_yaml("session_config:\n  session_expiration_time: 60\n")
    held = DialogueStateTracker("h-long", domain.slots)
    held.update(ConversationPaused())
    held.update(ActionExecuted("action_listen"))
    for i in range(45):
        held.update(UserUttered(f"message {i}"))
    held.update(ActionExecuted("action_listen"))
    assert continue_in_new_session(held, 40)
    assert held.is_paused()


def test_a_refusal_keeps_its_details_through_the_routes_json() -> None:
    # the console words refusals itself, in the operator's language: it needs the holder and the length
    from bot.handoff_client import HeldByOther, TooLong, error_from, error_json

    held = error_from(409, error_json(HeldByOther("arben is already answering this conversation.", holder="arben")))
    assert isinstance(held, HeldByOther) and held.details == {"holder": "arben"}
    long = error_from(413, error_json(TooLong("The reply has 2001 characters; rest allows 2000.", 2000, length=2001)))
    assert isinstance(long, TooLong) and (long.limit, long.details["length"]) == (2000, 2001)
