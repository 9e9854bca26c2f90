"""Replies built from the store: fact, next step and citation, in the conversation's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.answers import (
    INTENT_TOPICS,
    LABELS,
    MONTHS,
    Context,
    Reply,
    answer_question,
    citation,
    format_date,
    handoff,
    switch_language,
)
from bot.knowledge.store import Snapshot

OTHER = {"sq": "en", "en": "sq"}


def assert_full_answer(snapshot: Snapshot, reply: Reply, language: str) -> None:
    """The reply holds its fact, its topic's next step and a dated citation, in `language`."""
    assert reply.response is None and reply.text
    doc = snapshot.by_key[reply.slots["last_fact"]]
    assert reply.slots["last_topic"] == doc.topic
    assert doc.text.get(language) in reply.text
    assert snapshot.topics[doc.topic].next_step.get(language) in reply.text
    label = "Burimi" if language == "sq" else "Source"
    assert f"{label}: {doc.source.title.get(language)}" in reply.text
    assert format_date(doc.reviewed, language) in reply.text
    # nothing of the other language's version slipped in
    assert doc.text.get(OTHER[language]) not in reply.text
    assert ("Source" if language == "sq" else "Burimi") not in reply.text


@pytest.mark.parametrize(("question", "language", "intent", "number"), [
    ("sa veta janë kthyer nga Anglia me ndihmën e IOM?", "sq", "ask_voluntary_return", "450"),
    ("how many people returned from the uk with iom", "en", "ask_voluntary_return", "450"),
    ("sa masa ka plani per remitancat", "sq", "ask_remittances", "8"),
    ("how many measures does the remittances plan have", "en", "ask_remittances", "8"),
    ("which number do i call about trafficking", "en", "ask_helpline", "116 006"),
    ("sa dite mund te qendroj ne shengen pa vize", "sq", "ask_work_abroad", "90"),
    ("when did albania become a member state of iom", "en", "ask_about_iom", "1993"),
])
def test_answer_holds_the_fact_the_next_step_and_the_source(
        snapshot: Snapshot, question: str, language: str, intent: str, number: str) -> None:
    reply = answer_question(snapshot, question, language, intent, 0.9, Context())
    assert_full_answer(snapshot, reply, language)
    fact_text = snapshot.by_key[reply.slots["last_fact"]].text.get(language)
    assert number in fact_text


@pytest.mark.parametrize(("question", "language"), [
    ("tell me", "en"), ("me trego pak", "sq"), ("?", "en"), ("", "sq"), ("po", "sq"),
    ("yes please", "en")])
@pytest.mark.parametrize("intent", sorted(set(INTENT_TOPICS)))
def test_a_confident_intent_with_a_vague_question_gets_the_topic_summary(
        snapshot: Snapshot, question: str, language: str, intent: str) -> None:
    reply = answer_question(snapshot, question, language, intent, 0.95, Context())
    summary = snapshot.summary_of(INTENT_TOPICS[intent])
    assert summary is not None
    assert reply.slots == {"last_topic": summary.topic, "last_fact": summary.key}
    assert_full_answer(snapshot, reply, language)


@pytest.mark.parametrize("question", ["xqzt blorf wumble", "asdf qwerty zxcv", "🤷‍♀️", ""])
@pytest.mark.parametrize("language", ["sq", "en"])
def test_unplaced_nonsense_gets_the_fallback(
        snapshot: Snapshot, question: str, language: str) -> None:
    reply = answer_question(snapshot, question, language, None, 0.0, Context())
    assert reply.response == "utter_fallback"
    assert reply.text is None and reply.slots == {}


def test_an_unplaced_question_that_matches_well_is_answered_with_a_hedge(
        snapshot: Snapshot) -> None:
    reply = answer_question(snapshot, "visa free travel to schengen, how many days", "en",
                            None, 0.0, Context())
    assert reply.response is None
    assert reply.text.startswith(LABELS["maybe"].en)
    assert "90" in snapshot.by_key[reply.slots["last_fact"]].text.en
    assert_full_answer(snapshot, reply, "en")


@pytest.mark.parametrize(("topic", "question", "language"), [
    ("remittances", "and how many?", "en"),
    ("remittances", "po sa jane?", "sq"),
    ("organisation", "and since when?", "en"),
    ("voluntary_return", "", "en"),
])
def test_a_follow_up_answers_from_the_previous_topic(
        snapshot: Snapshot, topic: str, question: str, language: str) -> None:
    reply = answer_question(snapshot, question, language, "ask_followup", 0.8,
                            Context(last_topic=topic, last_fact=None))
    assert reply.slots["last_topic"] == topic
    assert topic in snapshot.by_key[reply.slots["last_fact"]].topics
    assert_full_answer(snapshot, reply, language)


def test_a_follow_up_without_context_and_without_words_gets_the_fallback(
        snapshot: Snapshot) -> None:
    reply = answer_question(snapshot, "and then?", "en", "ask_followup", 0.8, Context())
    assert reply.response == "utter_fallback"


@pytest.mark.parametrize(("question", "language"), [
    ("po programi, sa veta ndihmoi?", "sq"), ("and that programme, how many did it help?", "en")])
def test_an_unplaced_question_leaning_to_a_follow_up_stays_on_the_previous_topic(
        snapshot: Snapshot, question: str, language: str) -> None:
    context = Context(last_topic="voluntary_return")
    unsure = answer_question(snapshot, question, language, None, 0.0, context,
                             hint=("ask_followup", 0.45))
    assert unsure.slots["last_topic"] == "voluntary_return"
    assert_full_answer(snapshot, unsure, language)
    without_context = answer_question(snapshot, question, language, None, 0.0, Context(),
                                      hint=("ask_followup", 0.45))
    assert without_context.response == "utter_fallback"


def test_the_previous_topic_breaks_a_tie_for_an_ambiguous_question(snapshot: Snapshot) -> None:
    question = "embassy or consulate"  # both voluntary return and trafficking facts say this
    topics = set()
    for topic in ("voluntary_return", "anti_trafficking"):
        reply = answer_question(snapshot, question, "en", "ask_followup", 0.8,
                                Context(last_topic=topic))
        topics.add(reply.slots["last_topic"])
        assert reply.slots["last_topic"] == topic
    assert len(topics) == 2


@pytest.mark.parametrize("target", ["sq", "en"])
def test_switch_language_repeats_the_last_fact_in_the_other_language(
        snapshot: Snapshot, target: str) -> None:
    first = answer_question(snapshot, "how many measures does the remittances plan have",
                            OTHER[target], "ask_remittances", 0.9, Context())
    reply = switch_language(snapshot, target, first.slots["last_fact"])  # type: ignore[arg-type]
    assert reply.slots["language"] == target
    assert reply.slots["last_fact"] == first.slots["last_fact"]
    assert_full_answer(snapshot, reply, target)
    assert "8" in reply.text


@pytest.mark.parametrize("last_fact", [None, "", "no_longer_in_the_store"])
@pytest.mark.parametrize("target", ["sq", "en"])
def test_switch_language_without_a_last_fact_confirms_the_new_language(
        snapshot: Snapshot, target: str, last_fact: str | None) -> None:
    reply = switch_language(snapshot, target, last_fact)  # type: ignore[arg-type]
    assert reply.text == LABELS["switched"].get(target)  # type: ignore[arg-type]
    assert reply.slots == {"language": target}


@pytest.mark.parametrize("language", ["sq", "en"])
def test_handoff_lists_the_contacts_where_a_person_answers(
        snapshot: Snapshot, language: str) -> None:
    reply = handoff(snapshot, language)  # type: ignore[arg-type]
    assert reply.response == "utter_handoff"
    lines = reply.text.splitlines()
    contacts = snapshot.organisations("handoff")
    assert len(lines) == len(contacts) >= 2
    for doc in contacts:
        assert doc.text.get(language) in reply.text  # type: ignore[arg-type]
    phones = [doc.phone for doc in contacts if doc.phone]
    assert "116 006" in phones
    assert all(phone in reply.text for phone in phones)
    assert re.search(r"\d{3} ?\d{3}", reply.text)


@pytest.mark.parametrize(("day", "language", "expected"), [
    (dt.date(2026, 11, 27), "sq", "27 nëntor 2026"),
    (dt.date(2026, 11, 27), "en", "27 November 2026"),
    (dt.date(2024, 1, 5), "sq", "5 janar 2024"),
    (dt.date(2024, 1, 5), "en", "5 January 2024"),
    (dt.date(2010, 12, 15), "sq", "15 dhjetor 2010"),
    (dt.date(2010, 12, 15), "en", "15 December 2010"),
])
def test_format_date(day: dt.date, language: str, expected: str) -> None:
    assert format_date(day, language) == expected  # type: ignore[arg-type]


def test_there_are_twelve_months_in_each_language() -> None:
    assert set(MONTHS) == {"sq", "en"}
    for names in MONTHS.values():
        assert len(names) == len(set(names)) == 12


def test_every_label_exists_in_both_languages() -> None:
    for name, label in LABELS.items():
        assert label.sq.strip() and label.en.strip(), name
        assert label.sq != label.en, name


def test_citation_is_dated_and_in_one_language(snapshot: Snapshot) -> None:
    doc = snapshot.by_key["avr_uk_450_returnees"]
    sq, en = citation(doc, "sq"), citation(doc, "en")
    assert sq.startswith("📄 Burimi: ") and format_date(doc.reviewed, "sq") in sq
    assert en.startswith("📄 Source: ") and format_date(doc.reviewed, "en") in en
    assert doc.source.title.sq in sq and doc.source.title.en in en


def test_every_intent_topic_exists_in_the_store(snapshot: Snapshot) -> None:
    assert set(INTENT_TOPICS.values()) <= set(snapshot.topics)
