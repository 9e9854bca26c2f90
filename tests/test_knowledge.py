"""The knowledge files and the store: strict validation, sourced numbers, idempotent import,
snapshot caching; and the real content checked against its schema and its sources.

Behaviour is tested on the fixture knowledge (tests/fixtures/knowledge), whose content the tests
may rely on; the real files (data/knowledge) are checked for what must hold whatever staff
write. Tests with a store of their own run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import knowledge_support
import pytest
import yaml
from conftest import FIXTURE_KNOWLEDGE
from knowledge_support import BACKENDS

from bot.knowledge.loader import LIMITS, MIN_EXAMPLES, KnowledgeError, audit, numbers_in, read_knowledge
from bot.knowledge.model import Snapshot
from bot.knowledge.schema import Card, Contact
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Loads a knowledge file, lets `change` edit the data, and writes it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def card(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in data["cards"] if c["key"] == key)


def contact(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in data["contacts"] if c["key"] == key)


def contents(snapshot: Snapshot) -> dict[str, Any]:
    """Everything a snapshot says, comparable across snapshots."""
    return {"cards": {c.key: c for c in snapshot.cards}, "contacts": dict(snapshot.contacts),
            "topics": dict(snapshot.topics)}


# ----------------------------------------------------------------------------- import


def test_import_loads_every_entry_of_the_files(fresh_store: KnowledgeStore) -> None:
    content = read_knowledge(FIXTURE_KNOWLEDGE)
    report = fresh_store.import_directory(FIXTURE_KNOWLEDGE)
    assert len(report.added) == content.count
    assert not report.changed and not report.removed
    assert fresh_store.revision() == 1
    snapshot = fresh_store.snapshot()
    assert {c.key for c in snapshot.cards} == {e.key for e in content.entities[Card]}
    assert set(snapshot.contacts) == {e.key for e in content.entities[Contact]}


def test_a_card_comes_back_whole(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory(FIXTURE_KNOWLEDGE)
    it = fresh_store.snapshot().card("help_abroad_it")
    assert (it.topic, it.subject, it.aspect, it.countries, it.where) == (
        "help", "help_abroad", "contacts", ("IT",), "abroad")
    assert it.answer.en.startswith("In Italy call 112")
    assert [c.key for c in it.contacts] == ["it_emergency", "it_line"]
    assert it.contacts[1].phone == "800 290 290" and it.contacts[1].tags == ("trafficking_line",)
    assert it.citations[0].source.publisher == "Dipartimento Pari Opportunità"
    assert "800 290 290" in it.citations[0].passage
    assert len(it.examples["sq"]) == len(it.examples["en"]) == 8
    assert (it.reviewed, it.review_by) == (dt.date(2026, 11, 30), dt.date(2027, 5, 30))


def test_import_is_idempotent(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory(FIXTURE_KNOWLEDGE)
    revision = fresh_store.revision()
    before = contents(fresh_store.snapshot())
    report = fresh_store.import_directory(FIXTURE_KNOWLEDGE)
    assert report.unchanged
    assert fresh_store.revision() == revision
    assert contents(fresh_store.snapshot()) == before


def test_editing_a_card_changes_exactly_it_and_bumps_the_revision(
        fresh_store: KnowledgeStore, fixture_copy: Path) -> None:
    fresh_store.import_directory(fixture_copy)
    before = contents(fresh_store.snapshot())["cards"]
    edit_yaml(fixture_copy / "work.yml",
              lambda d: card(d, "work_de")["examples"]["en"].append("germany job permit how"))
    report = fresh_store.import_directory(fixture_copy)
    assert (report.changed, report.added, report.removed) == (["cards:work_de"], [], [])
    assert fresh_store.revision() == 2
    after = contents(fresh_store.snapshot())["cards"]
    assert {k for k in after if after[k] != before[k]} == {"work_de"}
    assert after["work_de"].examples["en"][-1] == "germany job permit how"


def test_rewriting_a_file_without_changing_content_changes_nothing(
        fresh_store: KnowledgeStore, fixture_copy: Path) -> None:
    fresh_store.import_directory(fixture_copy)
    edit_yaml(fixture_copy / "help.yml", lambda data: None)  # reformatted only
    assert fresh_store.import_directory(fixture_copy).unchanged
    assert fresh_store.revision() == 1


def test_moving_entries_in_a_file_is_not_a_change(fresh_store: KnowledgeStore, fixture_copy: Path) -> None:
    fresh_store.import_directory(fixture_copy)
    edit_yaml(fixture_copy / "work.yml", lambda d: d["cards"].reverse())
    assert fresh_store.import_directory(fixture_copy).unchanged
    assert fresh_store.snapshot().cards_of("work")[0].key == "work_de"  # the new order


def test_removing_and_adding_cards(fresh_store: KnowledgeStore, fixture_copy: Path) -> None:
    fresh_store.import_directory(fixture_copy)

    def replace(data: dict[str, Any]) -> None:
        new = dict(card(data, "work_de"), key="work_at", countries=["AT"])
        new["examples"] = {lang: [f"{e} (austria)" for e in examples] for lang, examples in new["examples"].items()}
        data["cards"] = [c for c in data["cards"] if c["key"] != "work_de"] + [new]

    edit_yaml(fixture_copy / "work.yml", replace)
    report = fresh_store.import_directory(fixture_copy)
    assert (report.added, report.removed, report.changed) == (["cards:work_at"], ["cards:work_de"], [])
    snapshot = fresh_store.snapshot()
    assert snapshot.card("work_de") is None and snapshot.card("work_at").countries == ("AT",)


# ------------------------------------------------------------------------- bad files

# (how to break the fixture copy, the file named, the entry named, the field named)
Breakage = tuple[Callable[[Path], None], str, str, str]


def _drop_en(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it")["answer"].pop("en"))


def _bad_date(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(reviewed="2026-13-40"))


def _review_by_before_reviewed(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(review_by="2020-01-01"))


def _unknown_field(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(priority="high"))


def _bad_aspect(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(aspect="salary"))


def _bad_country(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(countries=["Italy"]))


def _too_few_examples(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it")["examples"].update(sq=["si punoj ne itali"]))


def _no_passage(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(sources=[{"source": "src_work_it"}]))


def _no_sources(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(sources=[]))


def _long_answer(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it")["answer"].update(sq="ë" * (LIMITS["answer"] + 1)))


def _bad_phone(d: Path) -> None:
    edit_yaml(d / "help.yml", lambda data: contact(data, "al_line").update(phone="call me"))


def _unknown_source(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it")["sources"][0].update(source="no_such_source"))


def _unknown_contact(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it").update(contacts=["no_such_contact"]))


def _unsourced_number(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_it")["answer"].update(en="It takes 45 days."))


def _unsourced_phone(d: Path) -> None:
    edit_yaml(d / "help.yml", lambda data: contact(data, "al_line").update(phone="116 123"))


def _duplicate_key(d: Path) -> None:
    edit_yaml(d / "work.yml", lambda data: card(data, "work_de").update(key="help_services"))


BREAKAGES: list[Breakage] = [
    (_drop_en, "work.yml", "cards[1]", "answer"),
    (_bad_date, "work.yml", "cards[1]", "reviewed"),
    (_review_by_before_reviewed, "work.yml", "cards[1]", "review_by"),
    (_unknown_field, "work.yml", "cards[1]", "priority"),
    (_bad_aspect, "work.yml", "cards[1]", "aspect"),
    (_bad_country, "work.yml", "cards[1]", "countries"),
    (_too_few_examples, "work.yml", "cards[1]", "examples.sq"),
    (_no_passage, "work.yml", "cards[1].sources[0]", "passage"),
    (_no_sources, "work.yml", "cards[1]", "sources"),
    (_long_answer, "work.yml", "cards[1].answer", "sq"),
    (_bad_phone, "help.yml", "contacts[1]", "phone"),
    # found by the checks across files and passages
    (_unknown_source, "work.yml", "cards[1] (work_it)", "sources[0].source"),
    (_unknown_contact, "work.yml", "cards[1] (work_it)", "contacts[0]"),
    (_unsourced_number, "work.yml", "cards[1] (work_it)", "answer.en"),
    (_unsourced_phone, "help.yml", "contacts[1] (al_line)", "phone"),
    (_duplicate_key, "work.yml", "cards[3]", "key"),
]


def _invalid_yaml(d: Path) -> None:
    path = d / "work.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("cards:", "cards: [\n", 1), encoding="utf-8")


@pytest.fixture(scope="module", params=BACKENDS)
def loaded_store(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeStore]:
    """A store loaded from the fixture knowledge that only failed imports touch, on both backends."""
    with knowledge_support.loaded_store(request.param, tmp_path_factory.mktemp("failed-imports"),
                                        FIXTURE_KNOWLEDGE) as store:
        yield store


@pytest.mark.parametrize("breakage", [b for b, *_ in BREAKAGES] + [_invalid_yaml],
                         ids=[b.__name__.strip("_") for b, *_ in BREAKAGES] + ["invalid_yaml"])
def test_a_bad_file_raises_and_changes_nothing(loaded_store: KnowledgeStore, fixture_copy: Path,
                                               breakage: Callable[[Path], None]) -> None:
    revision = loaded_store.revision()
    before = contents(loaded_store.snapshot())
    breakage(fixture_copy)
    with pytest.raises(KnowledgeError):
        loaded_store.import_directory(fixture_copy)
    assert loaded_store.revision() == revision
    assert contents(loaded_store.snapshot()) == before


@pytest.mark.parametrize(("breakage", "file", "entry", "field"), BREAKAGES,
                         ids=[b[0].__name__.strip("_") for b in BREAKAGES])
def test_a_bad_entry_is_located_by_file_entry_and_field(fixture_copy: Path, breakage: Callable[[Path], None],
                                                        file: str, entry: str, field: str) -> None:
    breakage(fixture_copy)
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(fixture_copy)
    located = [p for p in error.value.problems if p.startswith(f"{file}: {entry}: {field}:")]
    assert located, error.value.problems


def test_invalid_yaml_names_the_file_and_the_line(fixture_copy: Path) -> None:
    _invalid_yaml(fixture_copy)
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(fixture_copy)
    assert str(error.value).startswith("work.yml:")
    assert "line" in str(error.value)


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"no \*\.yml"):
        read_knowledge(tmp_path)


def test_a_file_with_cards_needs_a_topic(fixture_copy: Path) -> None:
    edit_yaml(fixture_copy / "work.yml", lambda d: d.pop("topic"))
    with pytest.raises(KnowledgeError, match=r"work\.yml: cards\[0\]: -: a file with cards needs a `topic:`"):
        read_knowledge(fixture_copy)


def test_every_problem_is_reported_not_only_the_first(fixture_copy: Path) -> None:
    def break_two_fields(data: dict[str, Any]) -> None:
        card(data, "work_it").update(reviewed="someday", subject="Not A Key")
        card(data, "work_de")["title"].pop("sq")

    edit_yaml(fixture_copy / "work.yml", break_two_fields)
    _bad_phone(fixture_copy)
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(fixture_copy)
    problems = error.value.problems
    assert [p.split(": ")[:3] for p in problems] == [
        ["help.yml", "contacts[1]", "phone"],
        ["work.yml", "cards[1]", "subject"],
        ["work.yml", "cards[1]", "reviewed"],
        ["work.yml", "cards[3]", "title"],
    ]
    assert str(error.value).splitlines() == list(problems)


def test_numbers_are_compared_however_their_digits_are_grouped() -> None:
    assert {"116006", "116", "006"} <= numbers_in("Linja 116 006 është falas.")
    assert "10000" in numbers_in("EUR 10.000 o più") and "10000" in numbers_in("EUR 10,000 or more")
    assert {"90", "180"} <= numbers_in("90 days in any 180-day period")


def test_a_number_grouped_differently_in_the_passage_is_sourced(fixture_copy: Path) -> None:
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_it_duration")["sources"][0].update(
        passage="Trascorsi 60 giorni il nulla osta è rilasciato; il visto entro 30 giorni; EUR 10.000."))
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_it_duration")["answer"].update(
        en="The nulla osta comes after 60 days; the visa within 30 days; EUR 10 000."))
    assert read_knowledge(fixture_copy).count  # valid


def test_a_contacts_phone_sources_a_number_in_the_answer(fixture_copy: Path) -> None:
    # 116 006 is in no passage of the card, but it is the phone of a contact the card lists
    edit_yaml(fixture_copy / "help.yml", lambda d: card(d, "help_services")["sources"][0].update(
        passage="Viktimat marrin strehim, kujdes dhe ndihmë ligjore."))
    assert read_knowledge(fixture_copy).count
    edit_yaml(fixture_copy / "help.yml", lambda d: card(d, "help_services").update(contacts=[]))
    with pytest.raises(KnowledgeError, match=r"help_services.*'116 006' is in none of"):
        read_knowledge(fixture_copy)


def test_audit_finds_untranslated_texts_future_dates_and_shared_examples(fixture_copy: Path) -> None:
    assert audit(read_knowledge(FIXTURE_KNOWLEDGE)) == []

    def edit(data: dict[str, Any]) -> None:
        card(data, "work_it").update(reviewed="2030-01-02", review_by="2031-01-01")
        card(data, "work_de")["title"]["en"] = card(data, "work_de")["title"]["sq"]
        card(data, "work_de")["examples"]["en"].append("How do I work in Italy legally?")

    edit_yaml(fixture_copy / "work.yml", edit)
    content = read_knowledge(fixture_copy)  # an import would take it
    assert set(audit(content, today=dt.date(2030, 1, 1))) == {
        "work.yml: cards[3] (work_de): title: the 'sq' and 'en' texts are the same",
        "work.yml: cards[1] (work_it): reviewed: 2030-01-02 is in the future",
        "work.yml: cards[3] (work_de): examples.en[8]: 'How do I work in Italy legally?' is also an example "
        "of card 'work_it'",
    }


# ----------------------------------------------------------------------- the real content


@pytest.fixture(scope="module")
def content():
    return read_knowledge(KNOWLEDGE_DIR)


def test_the_real_files_pass_every_check(content) -> None:
    assert audit(content) == []


def test_every_card_rests_on_passages_and_has_examples_in_both_languages(snapshot: Snapshot) -> None:
    assert snapshot.cards
    for c in snapshot.cards:
        assert c.citations and all(x.passage.strip() and x.source.url.startswith("http") for x in c.citations), c.key
        assert len(c.examples["sq"]) >= MIN_EXAMPLES and len(c.examples["en"]) >= MIN_EXAMPLES, c.key
        assert c.reviewed < c.review_by, c.key
        assert c.reviewed <= dt.date.today() + dt.timedelta(days=1), c.key


def test_every_contacts_phone_is_in_its_passages(snapshot: Snapshot) -> None:
    for c in snapshot.contacts.values():
        assert c.citations, c.key
        if c.phone:
            digits = re.sub(r"\D", "", c.phone)
            assert any(digits in re.sub(r"\D", "", x.passage) for x in c.citations), c.key


def test_cards_of_one_question_for_several_countries_differ_by_country(snapshot: Snapshot) -> None:
    # A follow-up such as "po për Greqinë?" relies on (subject, aspect, country) naming one card.
    seen: dict[tuple, str] = {}
    for c in snapshot.cards:
        for country in c.countries or ("",):
            key = (c.subject, c.aspect, country)
            assert key not in seen, f"{c.key} and {seen.get(key)} answer the same question for {country or 'any'}"
            seen[key] = c.key


def _texts(content) -> list[tuple[str, str, str]]:
    """(where, sq, en) for every text the files give in both languages."""
    texts = []
    for entity in content.entities[Card]:
        for name in ("title", "answer", "next_step"):
            texts.append((f"{entity.key}.{name}", entity.row[f"{name}_sq"], entity.row[f"{name}_en"]))
    for entity in content.entities[Contact]:
        texts.append((f"{entity.key}.helps_with", entity.row["helps_with_sq"], entity.row["helps_with_en"]))
    return texts


def test_albanian_texts_are_written_with_diacritics(content) -> None:
    answers = [(k, sq) for k, sq, _ in _texts(content) if k.endswith(".answer")]
    without = [k for k, sq in answers if not re.search("[ëçËÇ]", sq)]
    assert not without, f"Albanian answers without ë/ç: {without}"


def test_english_texts_are_not_albanian(content) -> None:
    # An English text with Albanian function words was probably pasted into the wrong field.
    albanian = re.compile(r"\b(është|dhe|për|një|të|nga|që|nuk)\b", re.IGNORECASE)
    quoted = re.compile(r"[\"“'‘(][^\"”’)]*[\"”’)]")  # names quoted in the original language
    for key, _, en in _texts(content):
        assert not albanian.search(quoted.sub("", en)), (key, en)


# ----------------------------------------------------------------------- the snapshot


def test_snapshot_is_reused_while_the_revision_is_unchanged(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory(FIXTURE_KNOWLEDGE)
    first = fresh_store.snapshot()
    assert fresh_store.snapshot() is first
    fresh_store.import_directory(FIXTURE_KNOWLEDGE)  # nothing changed
    assert fresh_store.snapshot() is first


def test_snapshot_is_rebuilt_after_a_change(fresh_store: KnowledgeStore, fixture_copy: Path) -> None:
    from bot.knowledge.search import index_of

    fresh_store.import_directory(fixture_copy)
    first = fresh_store.snapshot()
    index = index_of(first)
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_de")["answer"].update(
        en="In Germany the Western Balkans regulation needs a job offer and an approval."))
    fresh_store.import_directory(fixture_copy)
    second = fresh_store.snapshot()
    assert second is not first and second.revision == first.revision + 1
    assert "an approval" in second.card("work_de").answer.en
    assert "an approval" not in first.card("work_de").answer.en  # the old one untouched
    assert index_of(second) is not index and index_of(first) is index


def test_snapshot_sees_an_import_made_by_another_store_object(database_url: str, fixture_copy: Path) -> None:
    reader, writer = KnowledgeStore(database_url), KnowledgeStore(database_url)
    try:
        writer.import_directory(fixture_copy)
        first = reader.snapshot()
        edit_yaml(fixture_copy / "work.yml", lambda d: d.update(cards=[c for c in d["cards"] if c["key"] != "work_de"]))
        writer.import_directory(fixture_copy)  # e.g. `helpline kb import` while the bot runs
        assert first.card("work_de") is not None
        assert reader.snapshot().card("work_de") is None
    finally:
        reader.close()
        writer.close()
