"""Turns a question into a reply built from the knowledge store.

The actions call these functions; everything here is plain data in, plain data out, so it is
tested without Rasa. Replies carry the fact, the next step and the source with its review date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.search import Hit
from bot.knowledge.store import Bilingual, Document, Snapshot
from bot.language import Lang

# Which knowledge topic each question intent is about.
INTENT_TOPICS: dict[str, str] = {
    "ask_about_iom": "organisation",
    "ask_contact_iom": "organisation",
    "ask_work_abroad": "safe_migration",
    "ask_job_offer_check": "safe_migration",
    "ask_irregular_migration": "safe_migration",
    "ask_migration_info": "safe_migration",
    "ask_voluntary_return": "voluntary_return",
    "ask_trafficking_help": "anti_trafficking",
    "ask_helpline": "anti_trafficking",
    "ask_remittances": "remittances",
}
FOLLOWUP_INTENT = "ask_followup"

# Scores are TF-IDF similarities (0..1) plus boosts; tuned on the assistant's own examples.
INTENT_BOOST = 0.25  # times the intent's confidence, for documents of the intent's topic
CONTEXT_BOOST = 0.10  # documents of the topic of the previous answer
FOLLOWUP_CONTEXT_BOOST = 0.30  # the same when the message is an elliptical follow-up
MIN_TOPICAL_SIMILARITY = 0.06  # below this, a confident intent gets its topic's summary
MIN_SEARCH_SIMILARITY = 0.22  # below this, an unclassified question gets the fallback

LABELS = {
    "source": Bilingual("Burimi", "Source"),
    "reviewed": Bilingual("rishikuar më", "reviewed"),
    "maybe": Bilingual("Kjo mund t'ju ndihmojë:", "This may help:"),
    "switched": Bilingual("Në rregull, vazhdojmë në shqip. Si mund t'ju ndihmoj?",
                          "Sure, let's continue in English. How can I help?"),
}
MONTHS = {
    "sq": ("janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator",
           "tetor", "nëntor", "dhjetor"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


@dataclass(frozen=True)
class Context:
    """What the conversation said last, for follow-up questions ("and when was that?")."""

    last_topic: str | None = None
    last_fact: str | None = None


@dataclass
class Reply:
    """Text to send (or a domain response to render) and slots to set."""

    text: str | None = None
    response: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)


def format_date(day: dt.date, language: Lang) -> str:
    """27 nëntor 2026 / 27 November 2026."""
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"


def citation(doc: Document, language: Lang) -> str:
    """The line that says where a fact comes from and when it was last checked."""
    return (f"📄 {LABELS['source'].get(language)}: {doc.source.title.get(language)} · "
            f"{LABELS['reviewed'].get(language)} {format_date(doc.reviewed, language)}")


def render(snapshot: Snapshot, doc: Document, language: Lang, *, hedge: bool = False) -> Reply:
    """The fact, the next step for its topic, and its source; remembered for follow-ups."""
    lines = [LABELS["maybe"].get(language)] if hedge else []
    lines.append(doc.text.get(language))
    topic = snapshot.topics.get(doc.topic)
    if topic:
        lines.append(topic.next_step.get(language))
    lines.append(citation(doc, language))
    return Reply(text="\n\n".join(lines), slots={"last_topic": doc.topic, "last_fact": doc.key})


def _boosts(intent: str | None, confidence: float, context: Context) -> dict[str, float]:
    boosts: dict[str, float] = {}
    if context.last_topic:
        weight = FOLLOWUP_CONTEXT_BOOST if intent == FOLLOWUP_INTENT else CONTEXT_BOOST
        boosts[context.last_topic] = weight
    topic = INTENT_TOPICS.get(intent or "")
    if topic:
        boosts[topic] = boosts.get(topic, 0.0) + INTENT_BOOST * confidence
    return boosts


def best_match(snapshot: Snapshot, question: str, intent: str | None, confidence: float,
               context: Context) -> Hit | None:
    """The highest-ranked document for a question in its conversational context."""
    hits = snapshot.index.rank(question, topic_boosts=_boosts(intent, confidence, context))
    return hits[0] if hits else None


def answer_question(snapshot: Snapshot, question: str, language: Lang, intent: str | None,
                    confidence: float, context: Context) -> Reply:
    """Answers with the best fact, or the topic's summary, or the fallback when unsure.

    A question the classifier placed in a topic always gets an answer from that topic; a
    question it could not place gets an answer only when the words match a fact well.
    """
    topic = INTENT_TOPICS.get(intent or "")
    if intent == FOLLOWUP_INTENT and context.last_topic:
        topic = context.last_topic
    hit = best_match(snapshot, question, intent, confidence, context)
    if topic:
        if hit and hit.similarity >= MIN_TOPICAL_SIMILARITY:
            return render(snapshot, hit.document, language)
        summary = snapshot.summary_of(topic)
        if summary:
            return render(snapshot, summary, language)
    if hit and hit.similarity >= MIN_SEARCH_SIMILARITY:
        return render(snapshot, hit.document, language, hedge=True)
    return Reply(response="utter_fallback")


def switch_language(snapshot: Snapshot | None, language: Lang, last_fact: str | None) -> Reply:
    """Confirms the new language and repeats the last answer in it, if there was one.

    The text is built here rather than by a domain response because Rasa renders responses
    with the slots as they were before this action set the new language.
    """
    doc = snapshot.by_key.get(last_fact or "") if snapshot else None
    reply = render(snapshot, doc, language) if snapshot and doc else Reply(
        text=LABELS["switched"].get(language))
    reply.slots["language"] = language
    return reply


HANDOFF_TAG = "handoff"  # organisations tagged so in contacts.yml are where a person answers


def handoff(snapshot: Snapshot, language: Lang) -> Reply:
    """Says the assistant cannot transfer the chat, and lists where a person can be reached."""
    lines = [f"• {doc.text.get(language)}" for doc in snapshot.organisations(HANDOFF_TAG)]
    return Reply(response="utter_handoff", text="\n".join(lines) or None)
