"""Reading the person's situation and places from their words, in both languages, typed any way."""

from __future__ import annotations

import pytest

from bot.places import COUNTRIES, country_name, mentions, with_country_tokens
from bot.situation import Situation, age_of, read_situation


@pytest.mark.parametrize(("text", "countries"), [
    ("jam ne londer pa dokumente", ["GB"]),
    ("du me shku n'gjermani", ["DE"]),
    ("po për Greqinë?", ["GR"]),
    ("Mbretëria e Bashkuar", ["GB"]),
    ("studying in the US", ["US"]),
    ("I live in Milan and want to go to Germany", ["IT", "DE"]),
    ("kthehem ne Shqipëri nga Belgjika", ["AL", "BE"]),
    ("anglisht flas pak", []),  # the language, not the country
    ("tell us more", []),  # the pronoun, not the country
    ("nice to meet you, split the bill", []),  # towns that are also English words are left out
])
def test_places_are_found_in_their_common_forms(text: str, countries: list[str]) -> None:
    assert [m.country for m in mentions(text)] == countries


def test_every_country_has_a_name_in_both_languages() -> None:
    assert country_name("GR", "sq") == "Greqi" and country_name("GR", "en") == "Greece"
    assert country_name("ZZ", "en") == "ZZ"
    assert all(c.name["sq"] and c.name["en"] for c in COUNTRIES.values())


def test_places_become_tokens_of_their_country_and_of_schengen() -> None:
    assert with_country_tokens("jam ne Londër") == "jam ne  xxgbxx "
    assert with_country_tokens("si punoj ne Milano?") == "si punoj ne  xxitxx xxschengenxx ?"
    assert with_country_tokens("a vlen per Shengenin?").count("xxschengenxx") == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("jam ne londer pa dokumente prej 2 vitesh. dua te kthehem", Situation("GB", "abroad")),
    ("I live in Milan and want to go to Germany", Situation("DE", "abroad")),
    ("U ktheva nga Italia pas 12 vitesh", Situation("IT", "albania")),
    ("jam n'greqi pa leje qe 5 vjet, du me u kthy n'shqipni", Situation("GR", "abroad")),
    ("vajza ime 17 vjeç ka një të dashur në Itali", Situation("IT", None, "relative", True)),
    ("im 14. a man online promised me a modelling job in italy", Situation("IT", None, None, True)),
    ("my son is 16, he went to London with some older guys", Situation("GB", None, "relative", True)),
    ("the caller says her passport was taken in Crete", Situation("GR", None, "operator")),
    ("flying milan to tirana with 12k euro cash", Situation("IT")),
    ("I send 300 euros home every month", Situation()),
    ("jam 30 vjec dhe punoj ne gjermani", Situation("DE", "abroad")),
    ("", Situation()),
])
def test_the_situation_a_message_describes(text: str, expected: Situation) -> None:
    assert read_situation(text) == expected


@pytest.mark.parametrize(("text", "age"), [
    ("jam 15 vjeç", 15), ("a girl of maybe 12", 12), ("my 16-year-old", 16), ("im 14.", 14),
    ("she is 17 yo", 17), ("I'm 25 euros short", None), ("we are 20 people in a lorry", None),
    ("the bill is 16 euros", None), ("jam ne greqi qe 5 vjet", None),
])
def test_ages_are_read_but_not_amounts_or_durations(text: str, age: int | None) -> None:
    assert age_of(text.lower()) == age
