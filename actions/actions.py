"""Custom actions: read the slots, call one function of `bot`, send the reply.

All decisions live in `bot`; these classes only translate between Rasa and it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import answers, handoff
from bot.emergency_reply import emergency_reply, help_card, safety_note, situation_of
from bot.knowledge.model import Snapshot
from bot.knowledge.store import KnowledgeStore
from bot.language import switch_target
from bot.situation import Situation, read_situation
from bot.text import Lang, as_language

logger = logging.getLogger(__name__)
DomainDict = dict[str, Any]
# A card is added after the emergency numbers only when the card model is this sure of it.
CARD_AFTER_EMERGENCY = 0.5


@lru_cache(maxsize=1)
def store() -> KnowledgeStore:
    """The process's one store (and connection pool), created on first use, not at import."""
    return KnowledgeStore()


@lru_cache(maxsize=1)
def handoffs() -> handoff.HandoffStore:
    """The live handoffs (same database), created on first use."""
    return handoff.HandoffStore()


def conversation_language(tracker: Tracker) -> Lang | None:
    """The slot, or else this message's best guess (a weak one is better than none here)."""
    guess = tracker.latest_message.get("language_guess") or {}
    return as_language(tracker.get_slot("language")) or as_language(guess.get("best"))


def question_text(tracker: Tracker) -> str:
    """The user's words; a button payload such as "/choose_card{...}" carries none."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def entity(tracker: Tracker, name: str) -> Any:
    """The value of an entity of the latest message, if it has one."""
    return next((e.get("value") for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == name), None)


def question(tracker: Tracker) -> answers.Question:
    intent = tracker.latest_message.get("intent") or {}
    ranking = tuple((r["card"], float(r["confidence"]))
                    for r in tracker.latest_message.get("card_ranking") or [] if r.get("card"))
    return answers.Question(question_text(tracker), intent.get("name"), float(intent.get("confidence") or 0.0),
                            ranking, entity(tracker, "country"), entity(tracker, "card"), entity(tracker, "topic"))


def previous_action(tracker: Tracker) -> str | None:
    """The action that answered the message before this one."""
    users = 0
    for event in reversed(tracker.events):
        users += event.get("event") == "user"
        if users and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


def context(tracker: Tracker) -> answers.Context:
    return answers.Context(tracker.get_slot("last_card"), tracker.get_slot("country"),
                           tracker.get_slot("location"), tracker.get_slot("asker"),
                           bool(tracker.get_slot("minor")),
                           last_card_shown=previous_action(tracker) != ActionEmergency.NAME)


def send(dispatcher: CollectingDispatcher, reply: answers.Reply) -> list[EventType]:
    if reply.preface:
        dispatcher.utter_message(text=reply.preface)
    if reply.response:
        dispatcher.utter_message(response=reply.response, **reply.values)
    if reply.text:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    events: list[EventType] = [SlotSet(name, value) for name, value in reply.slots.items()]
    if reply.pause:  # listening, but paused: nothing is predicted until an operator resumes it
        events += [ConversationPaused(), ActionExecuted("action_listen")]
    return events


def answer_safely(dispatcher: CollectingDispatcher, tracker: Tracker,
                  build: Callable[[Snapshot, Lang], answers.Reply],
                  language: Lang | None = None) -> list[EventType]:
    """Runs `build` against the store; if the store is unavailable, apologises with the helpline."""
    language = language or conversation_language(tracker)
    if language is None:
        dispatcher.utter_message(response="utter_choose_language")
        return []
    try:
        reply = build(store().snapshot(), language)
    except Exception:  # database down, unreadable file, bad content: apologise, never go silent
        logger.exception("knowledge store unavailable")
        dispatcher.utter_message(response="utter_service_unavailable")
        return []
    events = send(dispatcher, reply)
    if as_language(tracker.get_slot("language")) is None and "language" not in reply.slots:
        events.append(SlotSet("language", language))
    return events


class ActionAnswerQuestion(Action):
    """Answers a question with the answer card that fits it, or offers the closest cards."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        asked, known = question(tracker), context(tracker)
        near_danger = bool(tracker.latest_message.get("danger_hint"))

        def build(snapshot: Snapshot, language: Lang) -> answers.Reply:
            reply = answers.answer_question(snapshot, asked, language, known)
            if near_danger:  # close to an emergency without its signs: the numbers first anyway
                reply.preface = safety_note(snapshot, language)
            return reply

        return answer_safely(dispatcher, tracker, build)


class ActionEmergency(Action):
    """Emergency numbers first, fitted to where the person is and who is at risk."""

    NAME = "action_emergency"

    def name(self) -> str:
        return self.NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        language = conversation_language(tracker)
        if language is None:  # no time to ask for a language: the bilingual numbers
            dispatcher.utter_message(response="utter_emergency")
            return []
        known = context(tracker)
        situation = situation_of(read_situation(question_text(tracker)),
                                 Situation(known.country, known.location, known.asker, known.minor))
        signals = list(tracker.latest_message.get("danger_signals") or [])
        try:
            snapshot = store().snapshot()
            dispatcher.utter_message(text=emergency_reply(snapshot, language, signals, situation))
        except Exception:  # the numbers must reach the person even without the store
            logger.exception("knowledge store unavailable; sending the domain's emergency numbers")
            dispatcher.utter_message(response="utter_emergency")
            return [SlotSet("language", language)]
        asked = question(tracker)
        card = snapshot.card(asked.ranking[0][0]) if asked.ranking else None
        shown = card if card and asked.ranking[0][1] >= CARD_AFTER_EMERGENCY else None
        events = send(dispatcher, answers.render(shown, language)) if shown else []
        # follow-ups ("what can he do there?") go on from whom to call in that country, if known
        last = help_card(snapshot, situation) or (shown.key if shown else None)
        if await operator_available():  # then the offer of a person: "po" / "yes" starts a handoff
            dispatcher.utter_message(response="utter_offer_person")
        return [*events, SlotSet("language", language), SlotSet("last_card", last)]


async def operator_available() -> bool:
    """Whether a person could answer in the chat now; False when that cannot be known."""
    try:
        return bool(await asyncio.to_thread(handoffs().available))
    except Exception:  # the emergency reply went out; an offer is not worth an error
        logger.exception("operator presence could not be read")
        return False


class ActionSwitchLanguage(Action):
    """Changes the conversation language and repeats the last answer in it."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        guess = tracker.latest_message.get("language_guess") or {}
        target = switch_target(question_text(tracker), as_language(guess.get("language")),
                               as_language(tracker.get_slot("language")))
        try:  # repeating the last answer needs the store; switching itself does not
            reply = answers.switch_language(store().snapshot(), target, tracker.get_slot("last_card"))
        except Exception:
            logger.exception("knowledge store unavailable; switching language without it")
            reply = answers.switch_language(None, target, None)
        return send(dispatcher, reply)


class ActionHandoff(Action):
    """A person is asked for: queued and paused for an operator, or told when people answer."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        danger = any(e.get("event") == "action" and e.get("name") == ActionEmergency.NAME for e in tracker.events)
        asking = handoff.Asking(tracker.sender_id, tracker.get_latest_input_channel() or "rest",
                                tracker.get_slot("last_card"), danger)
        return answer_safely(dispatcher, tracker,
                             lambda snapshot, language: handoff.ask_for_person(handoffs(), snapshot, asking, language))


class ActionSessionStart(Action):
    """Rasa's session start, except that a conversation waiting for or held by an operator stays
    paused: a new session would otherwise resume it after an hour of silence."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        carried = [SlotSet(name, value) for name, value in tracker.slots.items()
                   if value is not None and name != "session_started_metadata"]
        try:
            paused = bool(await asyncio.to_thread(handoffs().is_open, tracker.sender_id))
        except Exception:  # cannot tell: the assistant answers rather than leaving the user alone
            logger.exception("the handoffs could not be read at a session start")
            paused = False
        return [SessionStarted(), *carried, *([ConversationPaused()] if paused else []),
                ActionExecuted("action_listen")]
