"""Turns a question into a reply built from the knowledge store.

The actions call these functions; everything here is plain data in, plain data out, so it is
tested without Rasa. Replies carry the fact, the next step and the source with its review date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.search import Hit, is_overview
from bot.knowledge.services import City, city_named, find_city, is_local, services_for
from bot.knowledge.store import Bilingual, Document, Snapshot, SourceRef
from bot.language import Lang, fold, words

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
MIN_HINTED_SIMILARITY = 0.12  # the same, for a fact of the topic the classifier leaned to
MIN_HINT_FOR_OVERVIEW = 0.3  # "what is ...?" with the classifier this sure of a topic: its summary

LABELS = {
    "source": Bilingual("Burimi", "Source"),
    "reviewed": Bilingual("rishikuar më", "reviewed"),
    "maybe": Bilingual("Kjo mund t'ju ndihmojë:", "This may help:"),
    "switched": Bilingual("Në rregull, vazhdojmë në shqip. Si mund t'ju ndihmoj?",
                          "Sure, let's continue in English. How can I help?"),
    # the services directory ({city}, {topic} are filled in)
    "services_in": Bilingual("Shërbime në {city}:", "Services in {city}:"),
    "no_local_services": Bilingual("Nuk kam të dhëna për shërbime në {city}; këto janë kontaktet kombëtare:",
                                   "I have no local services listed for {city}; these are the national contacts:"),
    "who_helps": Bilingual("Kush ndihmon ({topic}):", "Who helps ({topic}):"),
    "national_contacts": Bilingual("Kontaktet kombëtare:", "National contacts:"),
    "languages": Bilingual("gjuhët", "languages"),
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


def _citation(source: SourceRef, reviewed: dt.date, language: Lang) -> str:
    return (f"📄 {LABELS['source'].get(language)}: {source.title.get(language)} · "
            f"{LABELS['reviewed'].get(language)} {format_date(reviewed, language)}")


def citation(doc: Document, language: Lang) -> str:
    """The line that says where a fact comes from and when it was last checked."""
    return _citation(doc.source, doc.reviewed, language)


def citations(docs: Iterable[Document], language: Lang) -> list[str]:
    """One line per source of several documents, with the oldest review date among them."""
    oldest: dict[str, tuple[SourceRef, dt.date]] = {}
    for doc in docs:
        source, reviewed = oldest.get(doc.source.key, (doc.source, doc.reviewed))
        oldest[doc.source.key] = (source, min(reviewed, doc.reviewed))
    return [_citation(source, reviewed, language) for source, reviewed in oldest.values()]


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


def _hinted_topic(hint: tuple[str, float] | None, context: Context) -> str | None:
    """The topic of the intent the classifier leaned to; a follow-up leans to the last topic."""
    if hint is None:
        return None
    return context.last_topic if hint[0] == FOLLOWUP_INTENT else INTENT_TOPICS.get(hint[0])


def answer_question(snapshot: Snapshot, question: str, language: Lang, intent: str | None,
                    confidence: float, context: Context,
                    hint: tuple[str, float] | None = None) -> Reply:
    """Answers with the best fact, or the topic's summary, or the fallback when unsure.

    A question the classifier placed in a topic always gets an answer from that topic; a
    question it could not place gets an answer only when the words match a fact well, or match
    reasonably a fact of the topic the classifier leaned to (`hint`: its best intent and
    confidence below the fallback threshold). A question about where or who to turn to gets
    the services directory instead of a fact.
    """
    services = services_question(snapshot, question, intent)
    if services is not None:
        return answer_services(snapshot, language, *services)
    topic = INTENT_TOPICS.get(intent or "")
    if intent == FOLLOWUP_INTENT and context.last_topic:
        topic = context.last_topic
    hinted = _hinted_topic(hint, context) if not intent else None
    leaning, leaning_confidence = hint if hint and hinted else (intent, confidence)
    hit = best_match(snapshot, question, leaning, leaning_confidence, context)
    if topic:
        if hit and hit.similarity >= MIN_TOPICAL_SIMILARITY:
            return render(snapshot, hit.document, language)
        summary = snapshot.summary_of(topic)
        if summary:
            return render(snapshot, summary, language)
    needed = MIN_HINTED_SIMILARITY if hit and hinted and hinted in hit.document.topics else (
        MIN_SEARCH_SIMILARITY)
    if hit and hit.similarity >= needed:
        return render(snapshot, hit.document, language, hedge=True)
    summary = snapshot.summary_of(hinted) if hinted else None
    if (summary and hint and hint[1] >= MIN_HINT_FOR_OVERVIEW and is_overview(question)
            and snapshot.index.similarity_to(question, summary) >= MIN_TOPICAL_SIMILARITY):
        return render(snapshot, summary, language, hedge=True)  # "what is ...?" leaning to a topic
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


# "Where / who ... help / office / service" next to a town: a services-directory question.
_ASKS_FOR_SERVICES = re.compile(r"\b(ku|where|who|kush|help\w*|ndihm\w*|zyr\w*|office\w*|sherbim\w*|"
                                r"service\w*)\b")
# "who helps victims of trafficking?", "kush i ndihmon viktimat?", "where can I get help?"
_WHO_HELPS = re.compile(r"\b(?:who|kush)\b(?:\W+\w+){0,4}?\W+(?:help|helps|assist\w*|support\w*|ndihm\w*|"
                        r"mbeshtet\w*)\b|\bwhere\b(?:\W+\w+){0,4}?\W+help\b|"
                        r"\bku\b(?:\W+\w+){0,4}?\W+ndihm\w*")


def services_question(snapshot: Snapshot, question: str,
                      intent: str | None) -> tuple[City | None, str | None] | None:
    """(town, topic) when the question asks where or who to turn to, else None.

    The topic is the intent's, or else that of a fact the question's other words match well
    (the town's name is left out: facts that mention a town are not about its services).
    """
    folded = fold(question)
    city = find_city(question, (d.city for d in snapshot.organisations() if d.city))
    if not (_WHO_HELPS.search(folded) or (city and _ASKS_FOR_SERVICES.search(folded))):
        return None
    topic = INTENT_TOPICS.get(intent or "")
    if topic is None:
        rest = " ".join(w for w in words(question) if city is None or w not in city.forms)
        hit = best_match(snapshot, rest, None, 0.0, Context())
        topic = hit.document.topic if hit and hit.similarity >= MIN_SEARCH_SIMILARITY else None
    return city, topic


def _service_line(doc: Document, language: Lang) -> str:
    """• name · ☎ phone · hours · town · languages (what the store knows of it)."""
    name = doc.name.get(language) if doc.name else doc.text.get(language)
    parts = [name]
    if doc.phone:
        parts.append(f"☎ {doc.phone}")
    elif doc.url:
        parts.append(doc.url)
    if doc.hours:
        parts.append(doc.hours.get(language))
    city = city_named(doc.city).get(language) if doc.city else None
    if city and city not in name:
        parts.append(city)
    if doc.languages:
        parts.append(f"{LABELS['languages'].get(language)}: {', '.join(doc.languages)}")
    return "• " + " · ".join(parts)


def answer_services(snapshot: Snapshot, language: Lang, city: City | None,
                    topic: str | None) -> Reply:
    """Lists the organisations that help in a town or on a topic, with their sources; says
    plainly when no office in that town is known, and gives the national contacts."""
    docs = services_for(snapshot, city, topic)
    title = snapshot.topics[topic].title.get(language) if topic in snapshot.topics else None
    if city is not None:
        label = "services_in" if is_local(docs, city) else "no_local_services"
        header = LABELS[label].get(language).format(city=city.get(language))
    elif title and any(topic in d.topics for d in docs):
        header = LABELS["who_helps"].get(language).format(topic=title)
    else:
        header = LABELS["national_contacts"].get(language)
    lines = [header, *(_service_line(doc, language) for doc in docs), "", *citations(docs, language)]
    return Reply(text="\n".join(lines), slots={"last_topic": topic} if topic else {})


HANDOFF_TAG = "handoff"  # organisations tagged so in contacts.yml are where a person answers


def handoff(snapshot: Snapshot, language: Lang) -> Reply:
    """Says the assistant cannot transfer the chat, and lists where a person can be reached."""
    lines = [f"• {doc.text.get(language)}" for doc in snapshot.organisations(HANDOFF_TAG)]
    return Reply(response="utter_handoff", text="\n".join(lines) or None)
