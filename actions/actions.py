"""Custom actions: read the slots, call one function of `bot`, send the reply.

All decisions live in `bot`; these classes only translate between Rasa and it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import answers
from bot.knowledge.store import KnowledgeStore, Snapshot
from bot.language import Lang, as_language, switch_target

logger = logging.getLogger(__name__)
DomainDict = dict[str, Any]


@lru_cache(maxsize=1)
def store() -> KnowledgeStore:
    """The process's one store (and connection pool), created on first use, not at import."""
    return KnowledgeStore()


def conversation_language(tracker: Tracker) -> Lang | None:
    """The slot, or else this message's best guess (a weak one is better than none here)."""
    guess = tracker.latest_message.get("language_guess") or {}
    return as_language(tracker.get_slot("language")) or as_language(guess.get("best"))


def question_text(tracker: Tracker) -> str:
    """The user's words; a button payload such as "/ask_remittances" carries none."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def send(dispatcher: CollectingDispatcher, reply: answers.Reply) -> list[EventType]:
    if reply.response:
        dispatcher.utter_message(response=reply.response)
    if reply.text:
        dispatcher.utter_message(text=reply.text)
    return [SlotSet(name, value) for name, value in reply.slots.items()]


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
    """Answers a question with the best-matching fact and its source."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        intent = tracker.latest_message.get("intent") or {}
        name = intent.get("name")
        confidence = float(intent.get("confidence") or 0.0)
        hint = None
        if name == "nlu_fallback":  # not placed in any topic: only a good match may answer
            ranking = tracker.latest_message.get("intent_ranking") or []
            guess = next((r for r in ranking if r.get("name") != "nlu_fallback"), None)
            hint = (guess["name"], float(guess.get("confidence") or 0.0)) if guess else None
            name, confidence = None, 0.0
        context = answers.Context(tracker.get_slot("last_topic"), tracker.get_slot("last_fact"))
        return answer_safely(dispatcher, tracker, lambda snapshot, language: answers.answer_question(
            snapshot, question_text(tracker), language, name, confidence, context, hint))


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
            reply = answers.switch_language(store().snapshot(), target, tracker.get_slot("last_fact"))
        except Exception:
            logger.exception("knowledge store unavailable; switching language without it")
            reply = answers.switch_language(None, target, None)
        return send(dispatcher, reply)


class ActionHandoff(Action):
    """Explains how to reach a person, with the contacts from the store."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return answer_safely(dispatcher, tracker, answers.handoff)
