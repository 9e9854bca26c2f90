"""The services directory: towns typed any way, local offices or the national contacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from knowledge_support import loaded_store
from test_actions import responses, run, texts, tracker
from test_knowledge import edit_yaml

from actions import actions
from bot.answers import LABELS, Context, answer_question, answer_services, citation, services_question
from bot.knowledge.services import CITIES, find_city, national_contacts, services_for
from bot.knowledge.store import KnowledgeStore, Snapshot


@pytest.mark.parametrize(("text", "town"), [
    ("ku mund të gjej ndihmë në Shkodër?", "Shkodër"),
    ("ndihme ne shkoder", "Shkodër"),
    ("zyra e Shkodrës", "Shkodër"),
    ("where can I get help in Shkodra", "Shkodër"),
    ("a keni zyre ne vlore", "Vlorë"),
    ("VLORA office", "Vlorë"),
    ("une jam nga durresi", "Durrës"),
    ("help in Durrës", "Durrës"),
    ("sherbime ne Korçë", "Korçë"),
    ("korca", "Korçë"),
    ("në Gjirokastër", "Gjirokastër"),
    ("gjirokastra", "Gjirokastër"),
    ("kukesi", "Kukës"),
    ("Lezhë", "Lezhë"),
    ("ne diber", "Peshkopi"),
    ("Peshkopi", "Peshkopi"),
    ("ne Tiranë", "Tiranë"),
    ("tirana", "Tiranë"),
    ("ne elbasan", "Elbasan"),
    ("fieri", "Fier"),
    ("beratit", "Berat"),
    ("sarande", "Sarandë"),
    ("Pogradec", "Pogradec"),
])
def test_towns_are_found_however_they_are_typed(text: str, town: str) -> None:
    city = find_city(text)
    assert city is not None and city.sq == town


@pytest.mark.parametrize("text", ["how many returned from the uk", "sa masa ka plani", "", "hello there"])
def test_text_without_a_town_finds_none(text: str) -> None:
    assert find_city(text) is None


def test_the_gazetteer_has_the_twelve_county_seats() -> None:
    towns = {city.sq for city in CITIES.values()}
    assert towns >= {"Tiranë", "Durrës", "Shkodër", "Vlorë", "Elbasan", "Fier", "Berat", "Korçë",
                     "Gjirokastër", "Kukës", "Lezhë", "Peshkopi"}


def test_a_town_of_the_store_missing_from_the_gazetteer_is_found() -> None:
    city = find_city("a keni zyre ne Velipojë?", known=["Velipojë"])
    assert city is not None and city.sq == "Velipojë"


def test_the_office_in_tirana_is_listed_for_tirana(snapshot: Snapshot) -> None:
    docs = services_for(snapshot, find_city("tirana"), None)
    assert [d.key for d in docs] == ["iom_albania"]


@pytest.mark.parametrize("town", ["Vlorë", "Shkodër", "Kukës"])
def test_a_town_without_an_office_gets_the_national_contacts(snapshot: Snapshot, town: str) -> None:
    docs = services_for(snapshot, find_city(town), None)
    assert docs == national_contacts(snapshot)
    assert {"emergency_112", "helpline_116006"} <= {d.key for d in docs}
    assert all({"emergency", "handoff"} & set(d.topics) for d in docs)


def test_who_helps_on_a_topic_lists_the_topics_organisations(snapshot: Snapshot) -> None:
    docs = services_for(snapshot, None, "anti_trafficking")
    assert {d.key for d in docs} == {d.key for d in snapshot.organisations("anti_trafficking")}
    assert [d.key for d in docs][:2] == ["emergency_112", "helpline_116006"]  # numbers first


@pytest.mark.parametrize(("language", "header"), [
    ("sq", "Nuk kam të dhëna për shërbime në Vlorë; këto janë kontaktet kombëtare:"),
    ("en", "I have no local services listed for Vlora; these are the national contacts:"),
])
def test_the_reply_says_plainly_there_is_no_local_office(
        snapshot: Snapshot, language: str, header: str) -> None:
    reply = answer_services(snapshot, language, find_city("Vlorë"), None)  # type: ignore[arg-type]
    lines = reply.text.splitlines()
    assert lines[0] == header
    assert "☎ 116 006" in reply.text and "☎ 112" in reply.text
    for doc in national_contacts(snapshot):
        assert doc.name.get(language) in reply.text  # type: ignore[arg-type,union-attr]
        assert citation(doc, language).split(" · ")[0] in reply.text  # type: ignore[arg-type]


@pytest.mark.parametrize(("language", "header", "other"), [
    ("sq", "Shërbime në Tiranë:", "Source"), ("en", "Services in Tirana:", "Burimi")])
def test_the_reply_lists_the_local_office_with_its_source(
        snapshot: Snapshot, language: str, header: str, other: str) -> None:
    reply = answer_services(snapshot, language, find_city("tirane"), None)  # type: ignore[arg-type]
    iom = snapshot.by_key["iom_albania"]
    assert reply.text.splitlines()[0] == header
    assert iom.name.get(language) in reply.text and iom.url in reply.text  # type: ignore[arg-type,union-attr]
    assert citation(iom, language) in reply.text  # type: ignore[arg-type]
    assert other not in reply.text


def test_hours_and_languages_are_listed_when_known(tmp_path: Path, knowledge_copy: Path) -> None:
    def add(data: dict) -> None:
        org = next(o for o in data["organisations"] if o["key"] == "iom_albania")
        org.update(languages=["sq", "en"], hours={"sq": "E hënë–e premte", "en": "Monday–Friday"})

    edit_yaml(knowledge_copy / "contacts.yml", add)
    with loaded_store("sqlite", tmp_path, knowledge_copy) as store:
        reply = answer_services(store.snapshot(), "en", find_city("Tirana"), None)
    assert "Monday–Friday" in reply.text and "languages: sq, en" in reply.text


@pytest.mark.parametrize(("question", "language", "first_line"), [
    ("where can I get help in Shkodër?", "en", "I have no local services listed for Shkodra"),
    ("ku mund të gjej ndihmë në Vlorë?", "sq", "Nuk kam të dhëna për shërbime në Vlorë"),
    ("a keni zyrë në Durrës?", "sq", "Nuk kam të dhëna për shërbime në Durrës"),
    ("ku e keni zyren ne tirane", "sq", "Shërbime në Tiranë:"),
    ("is there an office in Tirana?", "en", "Services in Tirana:"),
    ("who helps victims of trafficking?", "en", "Who helps (Counter-trafficking):"),
    ("kush i ndihmon viktimat e trafikimit?", "sq", "Kush ndihmon (Lufta kundër trafikimit):"),
])
def test_where_and_who_questions_get_the_directory(
        snapshot: Snapshot, question: str, language: str, first_line: str) -> None:
    reply = answer_question(snapshot, question, language, None, 0.0, Context())  # type: ignore[arg-type]
    assert reply.text.startswith(first_line), reply.text


def test_who_helps_victims_lists_every_anti_trafficking_organisation(snapshot: Snapshot) -> None:
    reply = answer_question(snapshot, "who helps victims of trafficking?", "en", None, 0.0, Context())
    for doc in snapshot.organisations("anti_trafficking"):
        assert doc.name.en in reply.text  # type: ignore[union-attr]
    assert reply.slots == {"last_topic": "anti_trafficking"}


@pytest.mark.parametrize(("question", "intent"), [
    ("sa emigrantë u kthyen nga Tirana?", None),  # a town, but not a where/who question
    ("how many measures does the remittances plan have", "ask_remittances"),
    ("when did albania become a member?", None),
    ("si do jete koha ne durres te shtunen", None),
])
def test_other_questions_are_not_directory_questions(
        snapshot: Snapshot, question: str, intent: str | None) -> None:
    assert services_question(snapshot, question, intent) is None


@pytest.mark.parametrize(("question", "language", "number"), [
    ("when did Albania become a member?", "en", "1993"),
    ("kur u anëtarësua Shqipëria?", "sq", "1993"),
    ("kur u hap qendra per viktimat?", "sq", "2003"),
])
def test_specific_facts_no_intent_covers_are_found(
        snapshot: Snapshot, question: str, language: str, number: str) -> None:
    reply = answer_question(snapshot, question, language, None, 0.0, Context())  # type: ignore[arg-type]
    assert reply.text.startswith(LABELS["maybe"].get(language))  # type: ignore[arg-type]
    assert number in snapshot.by_key[reply.slots["last_fact"]].text.get(language)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the action


@pytest.fixture
def action_store(monkeypatch: pytest.MonkeyPatch, knowledge_store: KnowledgeStore) -> Iterator[None]:
    monkeypatch.setenv("HELPLINE_DB_URL", knowledge_store.url)
    actions.store.cache_clear()
    yield
    actions.store.cache_clear()


@pytest.mark.usefixtures("action_store")
@pytest.mark.parametrize(("text", "language", "intent", "expected"), [
    ("where can I get help in Vlorë?", "en", "nlu_fallback", "I have no local services listed for Vlora"),
    ("ku mund te marr ndihme ne shkoder", "sq", "ask_helpline", "Nuk kam të dhëna për shërbime në Shkodër"),
    ("who helps victims of trafficking?", "en", "ask_trafficking_help", "Who helps (Counter-trafficking):"),
])
async def test_the_answer_action_answers_from_the_directory(
        text: str, language: str, intent: str, expected: str) -> None:
    messages, events = await run(actions.ActionAnswerQuestion(), tracker(
        text, language=language, intent=intent, confidence=0.9))
    assert responses(messages) == []
    assert texts(messages).startswith(expected)
    assert "116 006" in texts(messages)
    assert all(e["name"] != "last_fact" for e in events)
