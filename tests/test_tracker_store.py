"""The tracker store: conversations saved and read back, long sessions continued in a new one
with the slots carried over, nothing ever lost, on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import (
    INDEXES,
    HelplineTrackerStore,
    carried_over_slots,
    continue_in_new_session,
    session_length,
)

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _store(url: str, max_session_events: int = 40) -> HelplineTrackerStore:
    # like Rasa's SQLTrackerStore, it accepts a full database URL as its host
    return HelplineTrackerStore(DOMAIN, host=url, max_session_events=max_session_events)


def _turn(text: str, answer: str, card: str | None = None) -> list:
    """One turn as Rasa logs it: the message, the answer, a slot, back to listening."""
    events = [UserUttered(text, {"name": "ask_question", "confidence": 0.9}),
              ActionExecuted("action_answer_question"), BotUttered(answer)]
    if card:
        events.append(SlotSet("last_card", card))
    return [*events, ActionExecuted(ACTION_LISTEN_NAME)]


def _new_conversation(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("pershendetje", {"name": "greet", "confidence": 1.0}),
        SlotSet("language", "sq"), ActionExecuted("utter_greet"), BotUttered("Përshëndetje!"),
        ActionExecuted(ACTION_LISTEN_NAME)], slots=DOMAIN.slots)


def _rows(url: str, sender: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(
                sa.text("select type_name from events where sender_id = :s order by id"), {"s": sender})]
    finally:
        engine.dispose()


async def test_a_conversation_is_read_back_as_it_was_saved(database_url: str) -> None:
    store = _store(database_url)
    tracker = _new_conversation("ana")
    await store.save(tracker)
    read = await store.retrieve("ana")
    assert read is not None
    assert read.get_slot("language") == "sq"
    assert [e.as_dict() for e in read.events] == [e.as_dict() for e in list(tracker.events)[1:]]
    assert await store.retrieve("nobody") is None


async def test_each_save_appends_only_the_new_events(database_url: str) -> None:
    store = _store(database_url)
    await store.save(_new_conversation("ana"))
    for i in range(3):
        tracker = await store.retrieve("ana")
        assert tracker is not None
        for event in _turn(f"pyetja {i}", f"përgjigja {i}"):
            tracker.update(event)
        await store.save(tracker)
        await store.save(tracker)  # saving again adds nothing
    assert len(_rows(database_url, "ana")) == 8 + 3 * 4


async def test_a_long_session_continues_in_a_new_one_with_the_slots(database_url: str) -> None:
    store = _store(database_url, max_session_events=20)
    await store.save(_new_conversation("ana"))
    for i in range(10):
        tracker = await store.retrieve("ana")
        assert tracker is not None
        for event in _turn(f"pyetja {i}", f"përgjigja {i}", card="vr_it_process"):
            tracker.update(event)
        await store.save(tracker)
        assert session_length(tracker.events) <= 20 + 5  # never more than one turn past the limit
    read = await store.retrieve("ana")
    assert read is not None
    assert isinstance(read.events[0], SessionStarted)
    assert read.get_slot("language") == "sq" and read.get_slot("last_card") == "vr_it_process"
    assert len(read.events) < 25
    # nothing is deleted: the whole history is still there, sessions and all
    types = _rows(database_url, "ana")
    assert types.count("user") == 11 and types.count("session_started") >= 3
    full = await store.retrieve_full_tracker("ana")
    assert full is not None and len([e for e in full.events if isinstance(e, UserUttered)]) == 11


async def test_rasas_own_store_reads_the_same_conversation(database_url: str) -> None:
    ours = _store(database_url, max_session_events=10)
    await ours.save(_new_conversation("ana"))
    tracker = await ours.retrieve("ana")
    assert tracker is not None
    for event in _turn("a më ndihmoni të kthehem?", "Po.", card="vr_it_process"):
        tracker.update(event)
    await ours.save(tracker)
    rasas = await SQLTrackerStore(DOMAIN, host=database_url).retrieve("ana")
    again = await ours.retrieve("ana")
    assert rasas is not None and again is not None
    assert [e.as_dict() for e in rasas.events] == [e.as_dict() for e in again.events]
    assert rasas.get_slot("last_card") == "vr_it_process"


async def test_many_conversations_at_once_are_all_stored(database_url: str) -> None:
    store = _store(database_url)

    async def talk(sender: str) -> None:
        await store.save(_new_conversation(sender))
        for i in range(3):
            tracker = await store.retrieve(sender)
            assert tracker is not None
            for event in _turn(f"{sender} {i}", "ok"):
                tracker.update(event)
            await store.save(tracker)

    senders = [f"user-{n}" for n in range(20)]
    await asyncio.gather(*(talk(s) for s in senders))
    for sender in senders:
        read = await store.retrieve(sender)
        assert read is not None
        assert [e.text for e in read.events if isinstance(e, UserUttered)][-1] == f"{sender} 2"


def test_the_indexes_exist(database_url: str) -> None:
    store = _store(database_url)
    names = {index["name"] for index in sa.inspect(store.engine).get_indexes("events")}
    assert {index.name for index in INDEXES} <= names


def test_a_session_is_never_split_in_the_middle_of_a_turn() -> None:
    tracker = _new_conversation("ana")
    for i in range(10):
        for event in _turn(f"pyetja {i}", "ok"):
            tracker.update(event)
    tracker.update(UserUttered("edhe një pyetje"))  # the assistant has not answered yet
    assert not continue_in_new_session(tracker, max_events=20)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    assert continue_in_new_session(tracker, max_events=20)
    assert session_length(tracker.events) == 2  # the language slot, then listening
    assert tracker.get_slot("language") == "sq"


def test_the_carried_slots_are_each_slots_latest_value() -> None:
    tracker = _new_conversation("ana")
    for card in ("rm_total_cost", "vr_it_process"):
        for event in _turn("pyetje", "ok", card=card):
            tracker.update(event)
    slots = {e.key: e.value for e in carried_over_slots(tracker)}
    assert slots == {"language": "sq", "last_card": "vr_it_process"}
    assert not continue_in_new_session(tracker, max_events=0)  # 0 turns the feature off


async def test_two_processes_answering_one_conversation_at_once_both_keep_their_events(
        database_url: str) -> None:
    first, second = _store(database_url), _store(database_url)  # two replicas, no lock store
    await first.save(_new_conversation("ana"))
    a, b = await first.retrieve("ana"), await second.retrieve("ana")
    assert a is not None and b is not None
    for event in _turn("pyetja e parë", "përgjigja e parë"):
        a.update(event)
    for event in _turn("pyetja e dytë", "përgjigja e dytë"):
        b.update(event)
    await asyncio.gather(first.save(a), second.save(b))
    read = await first.retrieve("ana")
    assert read is not None
    texts = sorted(e.text for e in read.events if isinstance(e, UserUttered))
    assert texts == ["pershendetje", "pyetja e dytë", "pyetja e parë"]
    assert len(_rows(database_url, "ana")) == 8 + 4 + 4  # each event once


async def test_a_full_tracker_saved_back_doubles_nothing(database_url: str) -> None:
    store = _store(database_url, max_session_events=10)
    await store.save(_new_conversation("ana"))
    for i in range(3):
        tracker = await store.retrieve("ana")
        assert tracker is not None
        for event in _turn(f"pyetja {i}", "ok"):
            tracker.update(event)
        await store.save(tracker)
    before = len(_rows(database_url, "ana"))
    full = await store.retrieve_full_tracker("ana")
    assert full is not None
    full.update(SlotSet("language", "en"))  # what Rasa's HTTP API does when an event is appended
    await store.save(full)
    assert len(_rows(database_url, "ana")) == before + 1


async def test_a_sqlite_file_of_conversations_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = _store(f"sqlite:///{path}")
    await store.save(_new_conversation("ana"))
    for name in ("tracker.db", "tracker.db-wal"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
