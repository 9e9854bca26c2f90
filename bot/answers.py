"""Turns a question into a reply built from an answer card of the knowledge store.

The NLU pipeline ranks the cards (bot.nlu.card_model) and reads the person's situation
(bot.situation); the conversation remembers the last card and the situation in slots. Here:
- a follow-up that names only a country or an aspect ("po për Greqinë?", "and how long does it
  take?") is answered by the card of the same subject for that country or aspect;
- otherwise the ranking is weighed with the situation (the country concerned, abroad or in
  Albania, a history question or not) and the best card answers, adapted to the country;
- when no card fits well, a short question offers the closest cards as buttons: never an
  unrelated fact.
Plain data in, plain data out: tested without Rasa.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.model import Bilingual, Card, Contact, Snapshot
from bot.knowledge.search import STOP_WORDS, index_of
from bot.phones import mark_phones
from bot.places import country_name, mentions
from bot.text import Lang, fold, words

FOLLOWUP_INTENT = "ask_followup"
OUT_OF_SCOPE_INTENT = "out_of_scope"
CHOOSE_CARD_INTENT = "choose_card"
CHOOSE_TOPIC_INTENT = "choose_topic"
HISTORY_TOPIC = "history"

# When the best card answers: the card model's probability (over all cards) is at least
# ANSWER_CONFIDENCE, or its weighed score is DECISIVE times that of the best card of another
# subject. Otherwise a "which of these?" question offers the closest cards. Whether a message is
# a question at all is the intent classifier's call: the card model always ranks something.
ANSWER_CONFIDENCE = 0.2
DECISIVE = 1.3
# An answer also offers up to MAX_RELATED other close cards, in case the best one missed.
RELATED_CONFIDENCE = 0.05
MAX_RELATED = 2
# The card model must be this sure to answer a message the classifier found out of scope, or
# one it could not place at all (nlu_fallback).
OUT_OF_SCOPE_OVERRIDE = 0.5
UNPLACED_MIN_CONFIDENCE = 0.1
MAX_CHOICES = 4
# A card's opening "Yes." / "No." is said only when the card is this sure to be the question's.
VERDICT_CONFIDENCE = 0.9
_VERDICT = re.compile(r"^(?:Yes|No|Po|Jo)(?:[.:!]|,(?= ))\s+")
CHOICE_MIN_CONFIDENCE = 0.02  # a "which of these?" question offers cards at least this likely
UNPLACED_INTENTS = frozenset({None, "nlu_fallback"})
# How much the situation moves a card's score. A card of another country than the one concerned
# falls back; with no country known, a general card beats a country's card. The card of the
# country concerned is not lifted above cards of other subjects: it replaces its general
# sibling (_for_country), and the card model already reads the country in the question.
OTHER_COUNTRY = 0.3
NO_COUNTRY_KNOWN = 0.5
# A card for people in Albania, for a question that names a foreign country (not a returnee).
IN_ALBANIA_ONLY = 0.6
# An elliptical follow-up ("ask_followup"): its own words, the previous answer's (x this) and the
# card model's probability (x MODEL_WEIGHT) choose the card (in_context).
CONTEXT_WEIGHT = 0.5
MODEL_WEIGHT = 0.03
SELF_CONTEXT = 0.7  # the previous answer's closeness to itself: a neighbour matching the words can win
# The previous answer itself, for a follow-up about it ("how many measures does it have?"); when
# the card model does not rank it, it stands at this share of the best card's probability.
SAME_CARD = 1.5
LAST_CARD_SHARE = 1.0
# A follow-up leans to cards that share words with the previous answer: times (1 + this x their
# similarity), so "how many measures does it have?" after the remittances plan stays with it.
RELATED_TO_LAST = 3.0
# The aspects that answer "how does it work?" for a subject: what a vague question gets.
MAIN_ASPECTS = ("overview", "process")
# A follow-up has at most this many words of its own ("po për Greqinë?", "and how long?"), or
# starts like one ("po ata 5 vjet në Gjermani?", "and what about my kids?") and is a little longer.
FOLLOW_UP_WORDS = 6
FOLLOW_UP_START_WORDS = 10
_FOLLOW_UP_START = re.compile(r"^\W*(?:ok\W+|okay\W+|mire\W+)?(?:po|e|dhe|edhe|si per|and|also|what about|how about|"
                              r"and for|and what about|same for)\b")
WRONG_PLACE = 0.6
SAME_SUBJECT, SAME_TOPIC = 1.4, 1.15
# The card model must be this sure to answer a message the classifier found out of scope
# during a conversation about a card (a follow-up the classifier misplaced).
OUT_OF_SCOPE_OVERRIDE_IN_CONTEXT = 0.2
NOT_A_HISTORY_QUESTION = 0.35
A_HISTORY_QUESTION = 1.3
# A question that names IOM: the cards about IOM itself come a little forward ("can IOM find me
# a job in Canada?" asks what IOM does, not how Canada hires).
ABOUT_IOM = 1.3
ORGANISATION_TOPIC = "organisation"
MAX_CONTACT_LINES = 3

LABELS = {
    "source": Bilingual("Burimi", "Source"),
    "reviewed": Bilingual("rishikuar më", "reviewed"),
    "which": Bilingual("Cila nga këto i afrohet më shumë pyetjes suaj?",
                       "Which of these is closest to what you need?"),
    "topic_menu": Bilingual("{topic}: çfarë doni të dini?", "{topic}: what would you like to know?"),
    "no_country_card": Bilingual("Për {country} nuk kam informacion të veçantë; ja çfarë vlen në përgjithësi:",
                                 "I have nothing specific for {country}; this is what applies in general:"),
    "other_country_card": Bilingual("Për {country} nuk kam informacion të veçantë. Ja si është në {other}; "
                                    "për {country}, pyesni ambasadën e atij vendi:",
                                    "I have nothing specific for {country}. This is how it works in {other}; "
                                    "for {country}, ask that country's embassy:"),
    "switched": Bilingual("Në rregull, vazhdojmë në shqip. Si mund t'ju ndihmoj?",
                          "Sure, let's continue in English. How can I help?"),
}
MONTHS = {
    "sq": ("janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator",
           "tetor", "nëntor", "dhjetor"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

# Which side of a subject a question asks about, when it says so: "sa kohë zgjat?", "do I have to pay?"
ASPECT_CUES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(r"\b(?:how long|how much time|how many (?:days|weeks|months)|how quickly|"
                           r"sa kohe|sa zgjat|zgjat|sa dite|sa jave|sa muaj|sa shpejt|kur mbaron|timeline|"
                           r"waiting time|take long|takes long)\b"),
    "cost": re.compile(r"\b(?:how much|cost\w*|pay\w*|price|fee\w*|free|charge\w*|sa kushton|kushton|"
                       r"pagu\w*|pages\w*|falas|tarif\w*|leke|sa para|pa para|perfshi\w*|include[sd]?|cover\w*|"
                       r"mbulo\w*)\b"),  # "para" alone is also "the first" (e para)
    "family": re.compile(r"\b(?:wife|husband|spouse|children|kids|family|partner|bring (?:my|the)|"
                         r"gruan|burrin|bashkeshort\w*|femij\w*|familj\w*|cunat|gocat)\b"),
    "language": re.compile(r"\b(?:speak|language|german|italian|english|greek|french|gjuh\w*|"
                           r"gjermanisht|italisht|anglisht|greqisht|frengjisht|flas|fol\w*)\b"),
    "work_rights": re.compile(r"\b(?:work while|work during|can i work|allowed to work|job while|"
                              r"punoj gjate|te punoj|me punu|punosh|pune gjate)\b"),
    "contacts": re.compile(r"\b(?:who (?:can|do|should) (?:i|she|he|we|they) (?:call|contact|ask)|"
                           r"who to call|phone number|number|call there|kujt|ke te marr|kush e ndihmon|"
                           r"numer\w*|telefon\w*|kontakt\w*)\b"),
    "documents": re.compile(r"\b(?:documents?|papers|what do i need to bring|bring|dokument\w*|letra|"
                            r"cfare duhet te marr me vete)\b"),
    "eligibility": re.compile(r"\b(?:can i apply|who can|am i eligible|eligib\w*|qualify|a mund te aplikoj|"
                              r"kush mund|kualifikohem|te drejte)\b"),
}
# A question about the past: what a 2007 history card answers, and a little better than others.
_HISTORY_CUE = re.compile(r"\b(?:when|what year|which year|since when|history|historical|"
                          r"kur|ne cilin vit|cilin vit|qe kur|viti|vitin|histori\w*|(?:19|20)\d\d|"
                          r"sa (?:viktima|emigrante|masa|veta|njerez)|how many (?:victims|measures|migrants|returnees|"
                          r"people)|keni ndihm\w*|you helped|have you helped|did you help)\b")
# A question about IOM's own work, which a history card may answer too ("what does IOM do
# against trafficking?": its 2007 work is part of the answer).
_ABOUT_IOM = re.compile(r"\b(?:iom|oim|onm|organizata nderkombetare per migracionin|"
                        r"international organi[sz]ation for migration)\b")


@dataclass(frozen=True)
class Context:
    """What the conversation knows: the last card answered and the person's situation."""

    last_card: str | None = None
    country: str | None = None  # the foreign country concerned (slot)
    location: str | None = None  # "abroad" / "albania" (slot)
    asker: str | None = None
    minor: bool = False
    # whether last_card was the previous answer (an emergency reply remembers whom to call in
    # that country as last_card without showing it)
    last_card_shown: bool = True

    def just_answered(self, card: Card, question: Question) -> bool:
        """Whether `card` would repeat the previous answer to a question about another side of
        it ("is it free?" after a card that says nothing of cost). A question on the card's own
        side, or on none ("and when was that?"), may well be answered by the same card."""
        asked = aspect_asked(question.text)
        return (self.last_card_shown and card.key == self.last_card
                and asked is not None and asked != card.aspect)


@dataclass(frozen=True)
class Question:
    """One message as the NLU pipeline understood it."""

    text: str
    intent: str | None = None
    intent_confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()  # (card key, probability), best first
    country: str | None = None  # a country this message names
    card: str | None = None  # a card chosen with a button
    topic: str | None = None  # a topic chosen with a button


@dataclass
class Reply:
    """Text to send (or a domain response to render), buttons, and slots to set."""

    text: str | None = None
    preface: str | None = None  # sent first, before the response and the text
    response: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # the response's {placeholders}
    pause: bool = False  # a person takes over: Rasa stops answering (a live handoff)


def format_date(day: dt.date, language: Lang) -> str:
    """27 nëntor 2026 / 27 November 2026."""
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"


def citation(card: Card, language: Lang) -> str:
    """The line that says where the answer comes from and when a person last checked it: the
    first source in full, the others counted (all of them are in the store, with passages)."""
    sources = list(dict.fromkeys(c.source for c in card.citations))
    first = sources[0]
    more = f" (+{len(sources) - 1})" if len(sources) > 1 else ""
    return (f"📄 {LABELS['source'].get(language)}: {first.publisher}, “{first.title}”{more} · "
            f"{LABELS['reviewed'].get(language)} {format_date(card.reviewed, language)}")


def contact_line(contact: Contact, language: Lang) -> str | None:
    """☎ name: number (or web address), for a contact that can be reached."""
    name = contact.name.get(language)
    if contact.phone:
        return f"☎ {name}" if contact.phone in name else f"☎ {name}: {contact.phone}"
    if contact.url:
        return f"🌐 {contact.name.get(language)}: {contact.url}"
    return None


def without_verdict(answer: str) -> str:
    """The answer without its opening "Yes." / "Jo," : a card written for "can I ...?" that is
    chosen for a neighbouring question must not answer yes or no to a question it was not asked
    ("I have no papers in Italy, can I get a permit?" answered "Yes." by the card on the permit
    for victims of trafficking)."""
    rest = _VERDICT.sub("", answer, count=1)
    return rest[:1].upper() + rest[1:] if rest != answer else answer


def render(card: Card, language: Lang, *, preface: str | None = None, verdict: bool = True) -> Reply:
    """The card's answer, its next step, whom to contact, and its source; remembered for follow-ups.
    `verdict=False` drops the answer's opening yes or no (without_verdict)."""
    lines = [preface] if preface else []
    answer = card.answer.get(language)
    lines.append(answer if verdict else without_verdict(answer))
    lines.append(f"👉 {card.next_step.get(language)}")
    contacts = [line for c in card.contacts if (line := contact_line(c, language))][:MAX_CONTACT_LINES]
    if contacts:
        lines.append("\n".join(contacts))
    phones = [c.phone for c in card.contacts if c.phone]
    # a source's title is quoted as published: its numbers are not for dialling
    text = "\n\n".join([*(mark_phones(line, phones) for line in lines), citation(card, language)])
    slots: dict[str, Any] = {"last_card": card.key}
    return Reply(text=text, slots=slots)


def card_button(card: Card, language: Lang) -> dict[str, str]:
    payload = json.dumps({"card": card.key}, separators=(",", ":"))
    return {"title": card.title.get(language), "payload": f"/{CHOOSE_CARD_INTENT}{payload}"}


def clarify(cards: Sequence[Card], language: Lang) -> Reply:
    """A short question with the closest cards as buttons."""
    return Reply(text=LABELS["which"].get(language), buttons=[card_button(c, language) for c in cards])


def topic_menu(snapshot: Snapshot, topic_key: str, language: Lang, country: str | None) -> Reply:
    """The main cards of a topic as buttons: the overviews, general ones and the country's first."""
    topic = snapshot.topics.get(topic_key)
    cards = snapshot.cards_of(topic_key)
    if topic is None or not cards:
        return Reply(response="utter_fallback")
    ranked = sorted(cards, key=lambda c: (c.aspect != "overview", not c.applies_to(country), bool(c.countries)))
    chosen = list(_distinct_subjects(ranked))[:MAX_CHOICES + 2]
    return Reply(text=LABELS["topic_menu"].get(language).format(topic=topic.title.get(language)),
                 buttons=[card_button(c, language) for c in chosen])


def _distinct_subjects(cards: Iterable[Card]) -> Iterable[Card]:
    seen: set[tuple[str, str]] = set()
    for card in cards:
        if (card.subject, card.aspect) not in seen:
            seen.add((card.subject, card.aspect))
            yield card


def aspect_asked(text: str) -> str | None:
    """The aspect a follow-up asks about ("how long" -> duration), if it names one."""
    folded = fold(text)
    return next((aspect for aspect, cue in ASPECT_CUES.items() if cue.search(folded)), None)


def content_words(text: str) -> list[str]:
    """The words that say what a question is about: not stop words, places or aspect cues."""
    folded = fold(text)
    for mention in reversed(mentions(folded)):
        folded = folded[:mention.start] + " " + folded[mention.end:]
    for cue in ASPECT_CUES.values():
        folded = cue.sub(" ", folded)
    return [w for w in words(folded) if w not in STOP_WORDS and len(w) > 2]


def is_elliptical(question: Question) -> bool:
    """A follow-up that leans on the previous answer: a short message with hardly a word of its
    own besides a place or an aspect ("po për Greqinë?", "and how long does it take?")."""
    if question.intent == FOLLOWUP_INTENT:
        return True
    count, own = len(words(question.text)), len(content_words(question.text))
    if count <= FOLLOW_UP_WORDS and own <= 1:
        return True
    return count <= FOLLOW_UP_START_WORDS and own <= 3 and bool(_FOLLOW_UP_START.search(fold(question.text)))


def sibling(snapshot: Snapshot, card: Card, *, country: str | None, aspect: str | None = None,
            subject: str | None = None) -> Card | None:
    """The card of the same subject (and aspect) for `country`: specific first, then general."""
    subject = subject or card.subject
    aspect = aspect or card.aspect
    same = [c for c in snapshot.cards if c.subject == subject and c.aspect == aspect]
    specific = [c for c in same if country and country in c.countries]
    general = [c for c in same if not c.countries]
    return next(iter(specific or general), None)


def follow_up(snapshot: Snapshot, question: Question, context: Context) -> tuple[Card, str | None] | None:
    """The card an elliptical follow-up asks for, with a preface when it is not country-specific."""
    last = snapshot.card(context.last_card)
    if last is None or not is_elliptical(question):
        return None
    aspect = aspect_asked(question.text)
    country = question.country or context.country
    if question.country and question.country not in last.countries:
        # "po për Greqinë?": the same question for another country
        for wanted in (aspect or last.aspect, "overview"):
            found = sibling(snapshot, last, country=question.country, aspect=wanted)
            if found and question.country in found.countries:
                return found, None
        topical = [c for c in snapshot.cards_of(last.topic) if question.country in c.countries]
        if topical:
            return min(topical, key=lambda c: c.aspect != (aspect or last.aspect)), None
        general = sibling(snapshot, last, country=None, aspect=aspect or last.aspect)
        if general and not general.countries and general.key != last.key:
            return general, "no_country_card"
        return None
    if aspect and aspect != last.aspect:
        found = sibling(snapshot, last, country=country, aspect=aspect)
        if found and found.applies_to(country):
            return found, None
        topical = [c for c in snapshot.cards_of(last.topic) if c.aspect == aspect and c.applies_to(country)]
        if topical:
            return min(topical, key=lambda c: not (country and country in c.countries)), None
    return in_context(snapshot, question, last, country), None


def in_context(snapshot: Snapshot, question: Question, last: Card, country: str | None) -> Card:
    """The card an elliptical follow-up is about ("sa masa ka?", "who worked on it?"): the one
    that best matches its own words and the previous answer together.

    The card model's own ranking is unreliable here: "how many measures does it have?" names no
    plan, so it picks one "measures" card with confidence; the previous answer (a remittances
    plan) decides. Each card scores its lexical match with the message, plus CONTEXT_WEIGHT
    times its similarity to the previous answer (SELF_CONTEXT for the previous answer itself,
    which wins when the message adds nothing: "and when was that?"), plus a little of the card
    model's probability to break ties.
    """
    index = index_of(snapshot)
    candidates = [c for c in index.cards if c.applies_to(country)]
    own = dict(zip((c.key for c in index.cards), index.similarity(question.text), strict=True))
    context = dict(zip((c.key for c in candidates), index.card_similarity(last, candidates), strict=True))
    context[last.key] = SELF_CONTEXT
    model = dict(question.ranking)
    return max(candidates, key=lambda c: own[c.key] + CONTEXT_WEIGHT * context[c.key]
               + MODEL_WEIGHT * model.get(c.key, 0.0))


def _weight(card: Card, p: float, question: Question, context: Context, last: Card | None,
            history: float, related: float | None) -> float:
    """A card's probability, weighed with what the conversation knows of the person. `related` is
    the card's similarity to the previous answer when the message is a follow-up, else None."""
    country = question.country or context.country
    if card.countries and country not in card.countries:
        p *= OTHER_COUNTRY if country else NO_COUNTRY_KNOWN
    if context.location and card.where not in ("any", context.location):
        p *= WRONG_PLACE
    elif question.country and context.location != "albania" and card.where == "albania":
        p *= IN_ALBANIA_ONLY
    if last is not None:
        if card.key == last.key and related is not None:
            p *= SAME_CARD
        elif card.subject == last.subject:
            p *= SAME_SUBJECT
        elif card.topic == last.topic:
            p *= SAME_TOPIC
    if card.topic == HISTORY_TOPIC:
        p *= history
    elif card.topic == ORGANISATION_TOPIC and history >= 1.0:
        p *= ABOUT_IOM if _ABOUT_IOM.search(fold(question.text)) else 1.0
    return p * (1.0 + RELATED_TO_LAST * (related or 0.0))


def ranked_cards(snapshot: Snapshot, question: Question, context: Context) -> list[tuple[Card, float, float]]:
    """(card, weighed score, model probability), best first; cards unknown to the store skipped."""
    last = snapshot.card(context.last_card)
    folded = fold(question.text)
    history = (A_HISTORY_QUESTION if _HISTORY_CUE.search(folded) else 1.0 if _ABOUT_IOM.search(folded)
               else NOT_A_HISTORY_QUESTION)
    cards = [(card, p) for key, p in question.ranking if (card := snapshot.card(key)) is not None]
    follows = last is not None and is_elliptical(question)
    if follows and last is not None and cards and last not in [c for c, _ in cards]:
        # "and when was this?": the previous answer stays a candidate whatever its own words rank
        cards.append((last, cards[0][1] * LAST_CARD_SHARE))
    related: list[float | None] = [None] * len(cards)
    # how much each card shares the previous answer's words (the previous one: SAME_CARD)
    if follows and last is not None:
        similar = index_of(snapshot).card_similarity(last, [c for c, _ in cards])
        related = [0.0 if c.key == last.key else r for (c, _), r in zip(cards, similar, strict=True)]
    scored = [(card, _weight(card, p, question, context, last, history, r), p)
              for (card, p), r in zip(cards, related, strict=True)]
    return sorted(scored, key=lambda item: -item[1])


def _for_aspect(snapshot: Snapshot, card: Card, question: Question, context: Context) -> Card:
    """The side of the card's subject that the question names ("what does the package include?":
    what is covered), when the model chose another side of it."""
    aspect = aspect_asked(question.text)
    if aspect is None or aspect == card.aspect:
        return card
    country = question.country or context.country or next(iter(card.countries), None)
    found = sibling(snapshot, card, country=country, aspect=aspect)
    return found if found and found.applies_to(country) else card


def _for_country(snapshot: Snapshot, card: Card, question: Question, context: Context) -> Card:
    """The same card for the person's country, when the chosen one is general or another country's."""
    country = question.country or context.country
    if not country or country in card.countries:
        return card
    if card.countries and question.country is None and any(m.country in card.countries
                                                           for m in mentions(question.text)):
        return card  # the question itself names the card's country
    found = sibling(snapshot, card, country=country)
    if found and country in found.countries:
        return found
    aspect = aspect_asked(question.text)
    if question.country and aspect:  # "is there a line like 116 006 in Italy? whom do I call?"
        topical = [c for c in snapshot.cards_of(card.topic) if question.country in c.countries and c.aspect == aspect]
        if topical:
            return topical[0]
    if card.countries and found and not found.countries:
        return found  # another country's rules would mislead more than the subject's general card
    return card


def answer_question(snapshot: Snapshot, question: Question, language: Lang, context: Context) -> Reply:
    """The card that answers the question; a choice of cards when none fits well.

    Returns a domain response instead when the message is out of scope or matches nothing.
    """
    if question.card:
        card = snapshot.card(question.card)
        return render(card, language) if card else clarify_or_fallback(snapshot, question, context, language)
    if question.topic:
        return topic_menu(snapshot, question.topic, language, question.country or context.country)
    followed = follow_up(snapshot, question, context)
    if followed and context.just_answered(followed[0], question):
        return clarify_or_fallback(snapshot, question, context, language, exclude=followed[0].key)
    if followed:
        card, preface = followed
        note = LABELS[preface].get(language).format(country=country_name(question.country or "", language)) \
            if preface else None
        return render(card, language, preface=note)
    ranked = ranked_cards(snapshot, question, context)
    if not ranked:
        return Reply(response="utter_fallback")
    best, score, p = ranked[0]
    override = OUT_OF_SCOPE_OVERRIDE_IN_CONTEXT if context.last_card else OUT_OF_SCOPE_OVERRIDE
    if question.intent == OUT_OF_SCOPE_INTENT and p < override:
        return Reply(response="utter_out_of_scope")
    if question.intent in UNPLACED_INTENTS and p < UNPLACED_MIN_CONFIDENCE:
        return Reply(response="utter_fallback")
    if question.intent == FOLLOWUP_INTENT and not context.last_card and p < ANSWER_CONFIDENCE:
        return Reply(response="utter_fallback")  # "and who wins it this year?" with nothing to follow
    runner_up = next((s for c, s, _ in ranked[1:] if c.subject != best.subject), 0.0)
    if p < ANSWER_CONFIDENCE and score < DECISIVE * runner_up:
        main = _main_card(ranked)
        if main is None:
            return clarify_or_fallback(snapshot, question, context, language, ranked)
        best = main
    chosen = _for_aspect(snapshot, best, question, context)
    card = _for_country(snapshot, chosen, question, context)
    if context.just_answered(card, question):  # the same text again adds nothing: offer the others
        return clarify_or_fallback(snapshot, question, context, language, ranked, exclude=card.key)
    reply = render(card, language, preface=_country_note(card, chosen, question.country, language),
                   verdict=(card.subject, card.aspect) == (best.subject, best.aspect) and p >= VERDICT_CONFIDENCE)
    related = [c for c, _, q in ranked[1:] if q >= RELATED_CONFIDENCE and c.subject != card.subject]
    reply.buttons = [card_button(c, language) for c in _distinct_subjects(related)][:MAX_RELATED]
    return reply


def _country_note(card: Card, chosen: Card, country: str | None, language: Lang) -> str | None:
    """Says so when the question names a country the answer has nothing specific for: the answer
    is then the subject's general card (instead of the `chosen` one, another country's), or, when
    there is none, another country's rules."""
    if not country or country in card.countries:
        return None
    if not card.countries:
        if not chosen.countries or country in chosen.countries:
            return None
        return LABELS["no_country_card"].get(language).format(country=country_name(country, language))
    name, other = country_name(country, language), country_name(card.countries[0], language)
    return LABELS["other_country_card"].get(language).format(country=name, other=other)


def _main_card(ranked: list[tuple[Card, float, float]]) -> Card | None:
    """When the closest cards are sides of one subject ("how do I work in Italy?" between the
    decreto flussi, its steps and its duration), that subject's main card; else None."""
    close = ranked[:MAX_CHOICES]
    by_subject: dict[str, float] = {}
    for card, score, _ in close:
        by_subject[card.subject] = by_subject.get(card.subject, 0.0) + score
    subject, weight = max(by_subject.items(), key=lambda item: item[1])
    if weight < sum(by_subject.values()) - weight:
        return None
    sides = [card for card, _, _ in close if card.subject == subject]
    return next((c for c in sides if c.aspect in MAIN_ASPECTS), sides[0])


def clarify_or_fallback(snapshot: Snapshot, question: Question, context: Context, language: Lang,
                        ranked: list[tuple[Card, float, float]] | None = None,
                        exclude: str | None = None) -> Reply:
    """The closest cards as buttons, or the fallback with the topics when nothing is close;
    never the card `exclude` (the answer just given)."""
    ranked = ranked if ranked is not None else ranked_cards(snapshot, question, context)
    close = [card for card, _, p in ranked if p >= CHOICE_MIN_CONFIDENCE]
    placed = (_for_country(snapshot, c, question, context) for c in close)
    choices = list(_distinct_subjects(c for c in placed if c.key != exclude))[:MAX_CHOICES]
    if len(choices) >= 2 or (choices and exclude):  # after an answer, another card only if chosen
        return clarify(choices, language)
    if choices:
        return render(choices[0], language)
    return Reply(response="utter_fallback")


def switch_language(snapshot: Snapshot | None, language: Lang, last_card: str | None) -> Reply:
    """Confirms the new language and repeats the last answer in it, if there was one.

    The text is built here rather than by a domain response because Rasa renders responses
    with the slots as they were before this action set the new language.
    """
    card = snapshot.card(last_card) if snapshot else None
    reply = render(card, language) if card else Reply(text=LABELS["switched"].get(language))
    reply.slots["language"] = language
    return reply


def handoff(snapshot: Snapshot, language: Lang) -> Reply:
    """Says no operator can answer in the chat now, and lists where a person answers (the
    hours operators answer in the chat are the response's `{hours}`: bot/handoff.py)."""
    lines = [line for c in snapshot.tagged("handoff") if (line := contact_line(c, language))]
    phones = [c.phone for c in snapshot.tagged("handoff") if c.phone]
    return Reply(response="utter_handoff", text=mark_phones("\n".join(lines), phones) or None)
