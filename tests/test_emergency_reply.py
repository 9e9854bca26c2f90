"""The emergency reply fits the situation, with the store's numbers, the number to call first."""

from __future__ import annotations

import re

import pytest

from bot.emergency_reply import emergency_reply, help_card, numbers_for, safety_note, short_name, situation_of
from bot.knowledge.model import Snapshot
from bot.situation import Situation

FIRST_300 = 300


def _said(text: str) -> str:
    """The words a reader sees, without the tap-to-call links' targets."""
    return re.sub(r"\(tel:[^)]*\)", "", text)


def test_in_albania_or_unknown_112_comes_first_then_116_006(fixture_snapshot: Snapshot) -> None:
    for situation in (Situation(), Situation(location="albania")):
        text = emergency_reply(fixture_snapshot, "sq", ["documents_taken"], situation)
        assert text.startswith("🚨 Nëse jeni në rrezik tani, telefononi [112](tel:112) (Numri i emergjencave).")
        assert "[116 006](tel:116006)" in text[:FIRST_300]
        assert text.endswith("Ju besojmë dhe nuk jeni vetëm.")


def test_abroad_the_countrys_emergency_number_its_line_and_the_embassy(fixture_snapshot: Snapshot) -> None:
    text = emergency_reply(fixture_snapshot, "en", ["confined"], Situation("IT", "abroad"))
    lines = text.split("\n\n")
    assert lines[0] == "🚨 If you are in danger now, call [112](tel:112) (Emergency number in Italy)."
    assert lines[1] == "Anti-trafficking helpline in Italy: [800 290 290](tel:800290290)."
    assert "[116 006](tel:116006)" in lines[2]
    assert lines[3].startswith("The Albanian embassy or consulate in Italy helps Albanian citizens")


def test_a_country_without_numbers_in_the_store_gets_albanias_and_the_embassy(fixture_snapshot: Snapshot) -> None:
    text = emergency_reply(fixture_snapshot, "en", ["violence"], Situation("SE", "abroad"))
    assert text.startswith("🚨 If you are in danger now, call [112](tel:112) (Emergency number).")
    assert "embassy or consulate in Sweden" in text and "Anti-trafficking helpline in" not in text


def test_a_minor_gets_the_child_helpline_and_what_to_do(fixture_snapshot: Snapshot) -> None:
    text = emergency_reply(fixture_snapshot, "en", ["minor_groomed"], Situation("IT", None, None, True))
    assert "You are under 18: call [116 111](tel:116111) (Child helpline). Don't travel" in text
    assert "tell an adult you trust today" in text


def test_someone_writing_about_another_person_is_told_what_they_can_do(fixture_snapshot: Snapshot) -> None:
    text = emergency_reply(fixture_snapshot, "sq", ["person_sold"], Situation(asker="relative", minor=True))
    assert text.startswith("🚨 Nëse dikush është në rrezik tani, telefononi [112](tel:112)")
    assert "Për një fëmijë: [116 111](tel:116111)" in text
    assert "Çfarë mund të bëni tani" in text and "mos i përballni vetë" in text
    assert text.endswith("Bëtë mirë që shkruat.") and "Ju besojmë" not in text


@pytest.mark.parametrize("signal", ["life_threat", "weapon"])
def test_a_danger_to_life_asks_where_they_are(fixture_snapshot: Snapshot, signal: str) -> None:
    text = emergency_reply(fixture_snapshot, "en", [signal], Situation("IT", "abroad"))
    assert text.startswith("🚨 Call [112](tel:112) now (Emergency number in Italy). Say where you are")


def test_self_harm_gets_a_word_of_its_own(fixture_snapshot: Snapshot) -> None:
    text = emergency_reply(fixture_snapshot, "en", ["self_harm"], Situation())
    assert text.split("\n\n")[1] == "You are not alone. Talk to someone now: [112](tel:112), or a person you trust."


def test_the_message_says_where_and_the_conversation_fills_the_rest() -> None:
    slots = Situation("GR", "abroad", "relative", False)
    assert situation_of(Situation(), slots) == slots
    assert situation_of(Situation("IT"), slots) == Situation("IT", None, "relative", False)
    assert situation_of(Situation(location="albania"), slots) == Situation(None, "albania", "relative", False)
    assert situation_of(Situation(minor=True), Situation("GR", "albania")) == Situation(None, "albania", None, True)


def test_the_help_card_of_the_country_is_remembered_for_follow_ups(fixture_snapshot: Snapshot) -> None:
    assert help_card(fixture_snapshot, Situation("IT", "abroad")) == "help_abroad_it"
    assert help_card(fixture_snapshot, Situation("DE", "abroad")) is None
    assert help_card(fixture_snapshot, Situation("IT", "albania")) is None


def test_without_albanias_numbers_the_reply_refuses_rather_than_guess(fixture_snapshot: Snapshot) -> None:
    from dataclasses import replace

    empty = replace(fixture_snapshot, contacts={})
    with pytest.raises(LookupError):
        numbers_for(empty, None)


def test_the_safety_note_has_the_numbers_in_one_line(fixture_snapshot: Snapshot) -> None:
    assert safety_note(fixture_snapshot, "sq") == \
        "Në rrezik? Telefononi [112](tel:112) · trafikim: [116 006](tel:116006)."


def test_the_real_store_has_the_numbers_for_albania_and_the_main_destinations(snapshot: Snapshot) -> None:
    home = numbers_for(snapshot, None)
    assert home.emergency.phone == "112" and home.trafficking_line.phone == "116 006"
    assert home.child_line is not None and home.child_line.phone == "116 111"
    for country in ("IT", "GR", "GB", "DE"):
        abroad = numbers_for(snapshot, country)
        assert abroad.emergency.country == country and abroad.emergency.phone, country


def test_the_real_stores_names_do_not_repeat_the_number_just_said(snapshot: Snapshot) -> None:
    text = emergency_reply(snapshot, "en", ["documents_taken"], Situation("GB", "abroad"))
    first = text.split("\n\n")[0]
    assert first == "🚨 If you are in danger now, call [999](tel:999) (Emergency number, United Kingdom)."
    said = _said(text)
    assert said.count("999") == 1 and said.count("116 006") == 1, said
    assert "[116 006](tel:116006) (National helpline for victims of trafficking)." in text
    for language in ("sq", "en"):
        reply = emergency_reply(snapshot, language, ["minor_groomed"], Situation("IT", "abroad", None, True))
        said = _said(reply)
        assert said.count("116 111") == 1 and said.count("800 290 290") == 1, said


@pytest.mark.parametrize(("name", "phone", "short"), [
    ("Emergency number 999 (United Kingdom)", "999", "Emergency number, United Kingdom"),
    ("ALO 116 111 – national child helpline", "116 111", "ALO – national child helpline"),
    ("Linja 1109 kundër trafikimit (Greqi)", "1109", "Linja kundër trafikimit, Greqi"),
    ("Modern Slavery & Exploitation Helpline (UK)", "08000 121 700", "Modern Slavery & Exploitation Helpline, UK"),
    ("Police 1170 (X)", "117", "Police 1170, X"),  # another number that starts the same stays
])
def test_a_short_name_drops_the_number_and_unnests_the_country(name: str, phone: str, short: str) -> None:
    assert short_name(name, phone) == short
