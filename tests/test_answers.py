"""Choosing and rendering the answer card: follow-ups, the person's country, clarifying choices.

On the fixture knowledge, with the card model's ranking given explicitly, so that each test
states exactly the situation it checks.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answers import (
    LABELS,
    Context,
    Question,
    answer_question,
    aspect_asked,
    citation,
    format_date,
    handoff,
    is_elliptical,
    render,
    switch_language,
    without_verdict,
)
from bot.knowledge.model import Snapshot


def ask(snapshot: Snapshot, text: str, ranking: list[tuple[str, float]], *, intent: str = "ask_question",
        country: str | None = None, language: str = "en", **context: object):
    return answer_question(snapshot, Question(text, intent, 0.9, tuple(ranking), country), language,
                           Context(**context))


# ------------------------------------------------------------------------------ rendering


def test_an_answer_is_the_card_its_next_step_its_contacts_and_its_source(fixture_snapshot: Snapshot) -> None:
    card = fixture_snapshot.card("help_abroad_it")
    reply = render(card, "en")
    parts = reply.text.split("\n\n")
    assert parts[0] == "In Italy call [112](tel:112) in danger, or the free helpline [800 290 290](tel:800290290)."
    assert parts[1] == "👉 Save the numbers in your phone."
    assert parts[2] == ("☎ Emergency number in Italy: [112](tel:112)\n"
                        "☎ Anti-trafficking helpline: [800 290 290](tel:800290290)")
    assert parts[3] == citation(card, "en") == (
        "📄 Source: Dipartimento Pari Opportunità, “Numero Verde Antitratta” · reviewed 30 November 2026")
    assert reply.slots == {"last_card": "help_abroad_it"}


def test_a_contact_without_a_phone_is_listed_by_its_web_address(fixture_snapshot: Snapshot) -> None:
    from bot.answers import contact_line

    assert contact_line(fixture_snapshot.contacts["al_embassies"], "sq") == (
        "🌐 Ambasadat shqiptare: https://example.gov.al/ambasadat")


def test_dates_are_written_in_the_language() -> None:
    assert format_date(dt.date(2026, 11, 27), "sq") == "27 nëntor 2026"
    assert format_date(dt.date(2026, 11, 27), "en") == "27 November 2026"


# ------------------------------------------------------------------------------ choosing


def test_a_confident_ranking_answers_with_its_best_card(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "how does the decreto flussi work",
                [("work_it", 0.6), ("work_it_duration", 0.2), ("help_services", 0.1)])
    assert reply.slots["last_card"] == "work_it"
    # a close card of another subject is offered below the answer, in case this one missed
    assert [b["payload"] for b in reply.buttons] == ['/choose_card{"card":"help_services"}']


def test_a_flat_ranking_asks_which_card_was_meant(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "help", [("help_services", 0.12), ("work_general", 0.11), ("help_abroad_it", 0.1)])
    assert reply.text == LABELS["which"].en and reply.response is None
    assert [b["title"] for b in reply.buttons] == ["Services for victims", "Working abroad legally",
                                                   "Italy: whom to call"]
    assert "last_card" not in reply.slots  # nothing was answered


def test_when_the_close_cards_are_sides_of_one_subject_its_main_card_answers(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "work in italy", [("work_it_duration", 0.12), ("work_it", 0.11),
                                                    ("help_services", 0.05)])
    assert reply.slots["last_card"] == "work_it"  # the overview, not the duration


def test_a_general_card_becomes_the_countrys_card_when_the_country_is_known(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "how do i work there legally", [("work_general", 0.6), ("work_it", 0.2)],
                country="DE")
    assert reply.slots["last_card"] == "work_de"


def test_a_card_for_another_country_falls_behind(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "how do i work legally", [("work_it", 0.35), ("work_general", 0.3)],
                country="GR")
    assert reply.slots["last_card"] == "work_general"


def test_with_no_country_known_a_general_card_beats_a_countrys(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "how do i work abroad", [("work_de", 0.35), ("work_general", 0.3)])
    assert reply.slots["last_card"] == "work_general"


def test_a_card_for_people_in_albania_falls_behind_when_someone_is_abroad(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "help for victims", [("help_services", 0.45), ("help_abroad_it", 0.4)],
                location="abroad", country="IT")
    assert reply.slots["last_card"] == "help_abroad_it"


@pytest.mark.parametrize(("intent", "response"), [("out_of_scope", "utter_out_of_scope"),
                                                  ("nlu_fallback", "utter_fallback")])
def test_a_weak_match_for_an_unplaced_message_gets_a_domain_response(
        fixture_snapshot: Snapshot, intent: str, response: str) -> None:
    reply = ask(fixture_snapshot, "who wins the world cup", [("work_de", 0.09), ("help_services", 0.05)],
                intent=intent)
    assert (reply.response, reply.text) == (response, None)


def test_a_follow_up_with_nothing_before_it_needs_a_confident_card(fixture_snapshot: Snapshot) -> None:
    weak = [("work_de", 0.15), ("help_services", 0.05)]
    assert ask(fixture_snapshot, "and who wins it this year?", weak, intent="ask_followup").response == \
        "utter_fallback"
    confident = ask(fixture_snapshot, "and in germany?", [("work_de", 0.7)], intent="ask_followup")
    assert confident.slots["last_card"] == "work_de"


def test_a_question_naming_a_side_of_the_subject_gets_that_side(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "how long does the decreto flussi take?", [("work_it", 0.6), ("work_de", 0.1)])
    assert reply.slots["last_card"] == "work_it_duration"


def test_a_question_about_whom_to_call_in_a_country_gets_that_countrys_contacts(fixture_snapshot: Snapshot) -> None:
    # the general card about Albania's services fits the words; the question is about Italy
    reply = ask(fixture_snapshot, "is there a line like that in italy, who do i call there?",
                [("help_services", 0.9), ("help_abroad_it", 0.01)], country="IT")
    assert reply.slots["last_card"] == "help_abroad_it"


def test_a_confident_card_answers_even_when_the_classifier_said_out_of_scope(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "decreto flussi", [("work_it", 0.8)], intent="out_of_scope")
    assert reply.slots["last_card"] == "work_it"


def test_cards_missing_from_the_store_are_skipped(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "work in germany", [("no_such_card", 0.9), ("work_de", 0.6)])
    assert reply.slots["last_card"] == "work_de"
    assert ask(fixture_snapshot, "x", [("no_such_card", 0.9)]).response == "utter_fallback"


def test_a_card_or_a_topic_chosen_with_a_button(fixture_snapshot: Snapshot) -> None:
    chosen = answer_question(fixture_snapshot, Question("", "choose_card", card="work_de"), "sq", Context())
    assert chosen.slots["last_card"] == "work_de" and chosen.text.startswith("Në Gjermani")
    menu = answer_question(fixture_snapshot, Question("", "choose_topic", topic="help"), "en", Context())
    assert menu.text == "Help: what would you like to know?"
    assert [b["title"] for b in menu.buttons] == ["Services for victims", "Italy: whom to call"]


# ------------------------------------------------------------------------------ follow-ups


@pytest.mark.parametrize(("text", "elliptical"), [
    ("po per gjermanine?", True), ("and how long does it take?", True), ("what about my kids?", True),
    ("po ata 5 vjet qe bera ne Gjermani?", True),
    ("how do i apply for the western balkans regulation in germany", False),
    ("ok so can you get me a visa for the UK?", False),
])
def test_what_counts_as_a_follow_up(text: str, elliptical: bool) -> None:
    assert is_elliptical(Question(text, "ask_question")) is elliptical


@pytest.mark.parametrize(("text", "aspect"), [
    ("sa kohe zgjat?", "duration"), ("and how long does it take?", "duration"), ("a duhet te paguaj?", "cost"),
    ("can i bring my wife?", "family"), ("do i need to speak german?", "language"),
    ("who can she call there?", "contacts"), ("po per gjermanine?", None),
    ("what does the package include?", "cost"), ("po e para linje, kur u hap?", None),
])
def test_the_aspect_a_follow_up_asks_about(text: str, aspect: str | None) -> None:
    assert aspect_asked(text) == aspect


def test_another_countrys_card_says_whose_rules_it_gives(fixture_snapshot: Snapshot) -> None:
    # the only close card is Italy's, and the question is about France
    reply = ask(fixture_snapshot, "how long does the work permit take in france?", [("work_it_duration", 0.9)],
                country="FR")
    assert reply.slots["last_card"] == "work_it_duration"
    assert reply.text.startswith("I have nothing specific for France. This is how it works in Italy; "
                                 "for France, ask that country's embassy:\n\n")


def test_another_countrys_card_gives_way_to_the_subjects_general_card(fixture_snapshot: Snapshot) -> None:
    # Italy's route was ranked first for a question about France; the general route is truer for France
    reply = ask(fixture_snapshot, "how do i get a work visa for france?", [("work_it", 0.9)], country="FR")
    assert reply.slots["last_card"] == "work_general"
    assert reply.text.startswith("I have nothing specific for France; this is what applies in general:\n\n")
    unnamed = ask(fixture_snapshot, "how do i get a work visa?", [("work_general", 0.9)], country="FR")
    assert not unnamed.text.startswith("I have nothing specific")  # chosen as general: no note


def test_a_sources_title_is_quoted_without_tap_to_call_marks(fixture_snapshot: Snapshot) -> None:
    from dataclasses import replace

    card = fixture_snapshot.card("help_abroad_it")
    first = card.citations[0]
    titled = replace(first, source=replace(first.source, title="La linea 800 290 290"))
    text = render(replace(card, citations=(titled, *card.citations[1:])), "en").text
    assert text.split("\n\n")[-1].startswith("📄 Source: Dipartimento Pari Opportunità, “La linea 800 290 290”")
    assert "[800 290 290](tel:800290290)" in text  # in the answer and the contact lines, still marked


def test_a_follow_up_naming_another_country_moves_to_that_countrys_card(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "po per gjermanine?", [("work_it", 0.5), ("help_services", 0.2)],
                country="DE", language="sq", last_card="work_it")
    assert reply.slots["last_card"] == "work_de"


def test_a_follow_up_for_a_country_without_a_card_gets_the_general_one_saying_so(
        fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "and for greece?", [("work_it", 0.5)], country="GR", last_card="work_it")
    assert reply.slots["last_card"] == "work_general"
    assert reply.text.startswith("I have nothing specific for Greece; this is what applies in general:")


def test_a_follow_up_asking_for_another_aspect_moves_to_that_aspects_card(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "and how long does it take?", [("help_services", 0.4), ("work_de", 0.3)],
                last_card="work_it", country="IT")
    assert reply.slots["last_card"] == "work_it_duration"


def test_a_full_question_is_not_taken_for_a_follow_up(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "what help do trafficking victims get in albania",
                [("help_services", 0.6), ("work_it", 0.1)], last_card="work_it", country="IT")
    assert reply.slots["last_card"] == "help_services"


# ------------------------------------------------------------------ language and handoff


def test_switching_language_repeats_the_last_answer(fixture_snapshot: Snapshot) -> None:
    reply = switch_language(fixture_snapshot, "sq", "work_de")
    assert reply.text.startswith(fixture_snapshot.card("work_de").answer.sq)
    assert reply.slots == {"last_card": "work_de", "language": "sq"}
    assert switch_language(None, "en", "work_de").text == LABELS["switched"].en


def test_handoff_lists_the_contacts_where_a_person_answers(fixture_snapshot: Snapshot) -> None:
    reply = handoff(fixture_snapshot, "sq")
    assert reply.response == "utter_handoff"
    assert reply.text == "☎ Linja kundër trafikimit: [116 006](tel:116006)"


@pytest.mark.parametrize(("answer", "without"), [
    ("Yes. A foreign victim can get a permit.", "A foreign victim can get a permit."),
    ("No. IOM is not a state institution.", "IOM is not a state institution."),
    ("Yes, you need a visa. The UK is not in Schengen.", "You need a visa. The UK is not in Schengen."),
    ("Po: linja është falas.", "Linja është falas."),
    ("Jo, nuk duhet.", "Nuk duhet."),
    ("Nothing to drop here.", "Nothing to drop here."),
    ("Portals list the offices.", "Portals list the offices."),
])
def test_an_answers_opening_yes_or_no_can_be_dropped(answer: str, without: str) -> None:
    assert without_verdict(answer) == without


def test_a_yes_or_no_is_said_only_when_the_card_is_surely_the_questions(snapshot: Snapshot) -> None:
    card = next(c for c in snapshot.cards if c.answer.en.startswith("Yes. ") and not c.countries)
    sure = ask(snapshot, "can I?", [(card.key, 1.0)])
    unsure = ask(snapshot, "something near it", [(card.key, 0.6), ("unknown_card", 0.01)])
    assert sure.text is not None and sure.text.startswith("Yes. ")
    assert unsure.text is not None and unsure.text.startswith(without_verdict(card.answer.en))
    assert not unsure.text.startswith("Yes")


def test_the_answer_just_given_is_not_given_again_for_another_side_of_it(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "is it free?", [("work_it", 0.6), ("work_de", 0.2), ("work_general", 0.1)],
                last_card="work_it", country="IT")
    assert reply.slots.get("last_card") != "work_it"
    shown = [reply.slots.get("last_card"), *(b["payload"] for b in reply.buttons)]
    assert not any(s and "work_it" in s for s in shown), shown


def test_a_question_the_answer_just_given_holds_may_get_it_again(fixture_snapshot: Snapshot) -> None:
    reply = ask(fixture_snapshot, "and when was that?", [("work_it", 0.6), ("work_de", 0.2)],
                last_card="work_it", country="IT")
    assert reply.slots.get("last_card") == "work_it"
