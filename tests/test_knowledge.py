"""The knowledge files and the store: strict validation, idempotent import, snapshot caching.

Tests with a store of their own run on SQLite and on PostgreSQL.
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
from knowledge_support import BACKENDS

from bot.knowledge.loader import MAX_TEXT, KnowledgeError, audit, read_knowledge
from bot.knowledge.schema import Fact, Milestone, Organisation, Topic
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore, Snapshot


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Loads a knowledge file, lets `change` edit the data, and writes it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}: the test data moved"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fact(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in data["facts"] if f["key"] == key)


def contents(snapshot: Snapshot) -> dict[str, tuple]:
    """Everything a snapshot says, comparable across snapshots."""
    return {d.key: (d.kind, d.topics, d.text, d.keywords, d.source, d.reviewed, d.summary, d.phone)
            for d in snapshot.documents}


# ----------------------------------------------------------------------------- import


def test_import_loads_every_entry_of_the_files(fresh_store: KnowledgeStore) -> None:
    content = read_knowledge(KNOWLEDGE_DIR)
    report = fresh_store.import_directory()
    expected = sum(len(rows) for rows in content.rows.values())
    assert len(report.added) == expected
    assert not report.changed and not report.removed
    assert fresh_store.revision() == 1
    answerable = sum(len(content.rows[m]) for m in (Fact, Milestone, Organisation))
    assert len(fresh_store.snapshot().documents) == answerable


def test_import_is_idempotent(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory()
    revision = fresh_store.revision()
    before = contents(fresh_store.snapshot())
    report = fresh_store.import_directory()
    assert report.unchanged
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert fresh_store.revision() == revision
    assert contents(fresh_store.snapshot()) == before


def test_editing_a_fact_changes_exactly_it_and_bumps_the_revision(
        fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    before = contents(fresh_store.snapshot())

    def edit(data: dict[str, Any]) -> None:
        fact(data, "rem_action_plan")["text"]["en"] = "The draft plan has 9 specific measures."

    edit_yaml(knowledge_copy / "remittances.yml", edit)
    report = fresh_store.import_directory(knowledge_copy)
    assert report.changed == ["facts:rem_action_plan"]
    assert report.added == [] and report.removed == []
    assert fresh_store.revision() == 2

    after = contents(fresh_store.snapshot())
    assert after.keys() == before.keys()
    assert {k for k in after if after[k] != before[k]} == {"rem_action_plan"}
    assert "9" in fresh_store.snapshot().by_key["rem_action_plan"].text.en


def test_rewriting_a_file_without_changing_content_changes_nothing(
        fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    edit_yaml(knowledge_copy / "safe_migration.yml", lambda data: None)  # reformatted only
    assert fresh_store.import_directory(knowledge_copy).unchanged
    assert fresh_store.revision() == 1


def test_removing_a_fact_removes_it(fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)

    def remove(data: dict[str, Any]) -> None:
        data["facts"] = [f for f in data["facts"] if f["key"] != "rem_web_page"]

    edit_yaml(knowledge_copy / "remittances.yml", remove)
    report = fresh_store.import_directory(knowledge_copy)
    assert report.removed == ["facts:rem_web_page"]
    assert report.added == [] and report.changed == []
    snapshot = fresh_store.snapshot()
    assert "rem_web_page" not in snapshot.by_key
    assert snapshot.revision == 2


def test_adding_a_fact_adds_it(fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)

    def add(data: dict[str, Any]) -> None:
        data["facts"].append({
            "key": "rem_test_fact", "text": {"sq": "Një fakt provë për dërgesat.",
                                              "en": "A test fact about remittances."},
            "source": "helpline_guidance", "reviewed": "2026-01-02"})

    edit_yaml(knowledge_copy / "remittances.yml", add)
    report = fresh_store.import_directory(knowledge_copy)
    assert report.added == ["facts:rem_test_fact"]
    doc = fresh_store.snapshot().by_key["rem_test_fact"]
    assert (doc.topic, doc.reviewed, doc.source.key) == (
        "remittances", dt.date(2026, 1, 2), "helpline_guidance")


# ------------------------------------------------------------------------- bad files

# (file, how to break it, the file(s) named, the entry named, the field named)
Breakage = tuple[str, Callable[[Path], None], str, str, str]


def _drop_en(path: Path) -> None:
    edit_yaml(path, lambda d: fact(d, "rem_studies")["text"].pop("en"))


def _bad_date(path: Path) -> None:
    edit_yaml(path, lambda d: fact(d, "rem_studies").update(reviewed="2026-13-40"))


def _unknown_field(path: Path) -> None:
    edit_yaml(path, lambda d: fact(d, "rem_studies").update(priority="high"))


def _invalid_yaml(path: Path) -> None:
    replace_text(path, "facts:", "facts: [\n")


def _bad_phone(path: Path) -> None:
    edit_yaml(path, lambda d: d["organisations"][0].update(phone="call me"))


def _unknown_source(path: Path) -> None:
    edit_yaml(path, lambda d: fact(d, "rem_studies").update(source="no_such_source"))


def _duplicate_key(path: Path) -> None:
    edit_yaml(path, lambda d: fact(d, "rem_studies").update(key="avr_package"))


BREAKAGES: list[Breakage] = [
    ("remittances.yml", _drop_en, "remittances.yml", "facts[1]", "text"),
    ("remittances.yml", _bad_date, "remittances.yml", "facts[1]", "reviewed"),
    ("remittances.yml", _unknown_field, "remittances.yml", "facts[1]", "priority"),
    ("contacts.yml", _bad_phone, "contacts.yml", "organisations[0]", "phone"),
]
# The file cannot be parsed, so only the file and the line can be named.
SYNTAX_ERRORS = [("remittances.yml", _invalid_yaml)]
# Found by the cross-file checks, which name the table and key instead of the file.
CROSS_FILE: list[Breakage] = [
    ("remittances.yml", _unknown_source, "remittances.yml", "rem_studies", "source"),
    # both copies must be named: remittances.yml and voluntary_return.yml
    ("remittances.yml", _duplicate_key, "remittances.yml voluntary_return.yml", "avr_package",
     "key"),
]
ALL_BREAKAGES = [(f, b) for f, b, *_ in BREAKAGES + CROSS_FILE] + SYNTAX_ERRORS


@pytest.fixture(scope="module", params=BACKENDS)
def loaded_store(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeStore]:
    """A store loaded from the real files that only failed imports touch, on both backends."""
    with knowledge_support.loaded_store(request.param, tmp_path_factory.mktemp("failed-imports")) as store:
        yield store


@pytest.mark.parametrize(("file", "breakage"), ALL_BREAKAGES,
                         ids=[b.__name__.strip("_") for _, b in ALL_BREAKAGES])
def test_a_bad_file_raises_and_changes_nothing(
        loaded_store: KnowledgeStore, knowledge_copy: Path, file: str,
        breakage: Callable[[Path], None]) -> None:
    revision = loaded_store.revision()
    before = contents(loaded_store.snapshot())
    breakage(knowledge_copy / file)
    with pytest.raises(KnowledgeError):
        loaded_store.import_directory(knowledge_copy)
    assert loaded_store.revision() == revision
    assert contents(loaded_store.snapshot()) == before


def _assert_located(error: KnowledgeError, files: str, entry: str, field: str) -> None:
    message = str(error)
    for file in files.split():
        assert file in message
    assert entry in message
    assert re.search(rf"\b{re.escape(field)}\b", message), message


@pytest.mark.parametrize(("file", "breakage", "named_file", "entry", "field"), BREAKAGES + CROSS_FILE,
                         ids=[b[1].__name__.strip("_") for b in BREAKAGES + CROSS_FILE])
def test_a_bad_entry_is_located_by_file_entry_and_field(
        knowledge_copy: Path, file: str, breakage: Callable[[Path], None], named_file: str,
        entry: str, field: str) -> None:
    breakage(knowledge_copy / file)
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(knowledge_copy)
    _assert_located(error.value, named_file, entry, field)


def test_invalid_yaml_names_the_file_and_the_line(knowledge_copy: Path) -> None:
    _invalid_yaml(knowledge_copy / "remittances.yml")
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(knowledge_copy)
    assert str(error.value).startswith("remittances.yml:")
    assert "line" in str(error.value)


def test_a_topic_needs_exactly_one_summary_fact(knowledge_copy: Path) -> None:
    edit_yaml(knowledge_copy / "remittances.yml",
              lambda d: fact(d, "rem_studies").update(summary=True))
    with pytest.raises(KnowledgeError, match=r"remittances\.yml: .*summary.*found 2"):
        read_knowledge(knowledge_copy)


def test_a_text_over_the_limit_is_refused(knowledge_copy: Path) -> None:
    edit_yaml(knowledge_copy / "remittances.yml",
              lambda d: fact(d, "rem_studies")["text"].update(sq="ë" * (MAX_TEXT + 1)))
    with pytest.raises(KnowledgeError, match=r"remittances\.yml: facts\[1\]\.text: sq: longer"):
        read_knowledge(knowledge_copy)


def test_two_files_with_the_same_topic_key_raise_a_knowledge_error(
        knowledge_copy: Path, fresh_store: KnowledgeStore) -> None:
    edit_yaml(knowledge_copy / "remittances.yml", lambda d: d["topic"].update(key="organisation"))
    for name, old, new in (("milestones.yml", "topic: remittances", "topic: organisation"),
                           ("contacts.yml", "anti_trafficking, remittances]", "anti_trafficking]")):
        replace_text(knowledge_copy / name, old, new)
    with pytest.raises(KnowledgeError):
        fresh_store.import_directory(knowledge_copy)


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"no \*\.yml"):
        read_knowledge(tmp_path)


def test_every_problem_is_reported_not_only_the_first(knowledge_copy: Path) -> None:
    def break_two_fields(data: dict[str, Any]) -> None:
        fact(data, "rem_studies").update(reviewed="someday", source=17)
        fact(data, "rem_web_page")["text"].pop("sq")

    edit_yaml(knowledge_copy / "remittances.yml", break_two_fields)
    _bad_phone(knowledge_copy / "contacts.yml")
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(knowledge_copy)
    problems = error.value.problems
    assert [p.split(": ")[:3] for p in problems] == [
        ["contacts.yml", "organisations[0]", "phone"],
        ["remittances.yml", "facts[1]", "source"],
        ["remittances.yml", "facts[1]", "reviewed"],
        ["remittances.yml", "facts[5]", "text"],
    ]
    assert str(error.value).splitlines() == list(problems)


@pytest.mark.parametrize(("change", "field"), [
    ({"languages": ["Albanian"]}, "languages"),
    ({"languages": "sq"}, "languages"),
    ({"city": ""}, "city"),
    ({"city": "x" * 81}, "city"),
    ({"topics": ["Not A Key"]}, "topics"),
])
def test_an_organisations_city_and_languages_are_checked(
        knowledge_copy: Path, change: dict[str, Any], field: str) -> None:
    edit_yaml(knowledge_copy / "contacts.yml", lambda d: d["organisations"][3].update(change))
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(knowledge_copy)
    _assert_located(error.value, "contacts.yml", "organisations[3]", field)


def test_an_organisations_city_and_languages_are_stored(
        fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    edit_yaml(knowledge_copy / "contacts.yml",
              lambda d: d["organisations"][1].update(languages=["sq", "en", "it"]))
    fresh_store.import_directory(knowledge_copy)
    snapshot = fresh_store.snapshot()
    assert snapshot.by_key["iom_albania"].city == "Tiranë"
    assert snapshot.by_key["helpline_116006"].languages == ("sq", "en", "it")
    assert snapshot.by_key["helpline_116006"].city is None


def test_moving_entries_in_a_file_is_not_a_change(fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    edit_yaml(knowledge_copy / "remittances.yml", lambda d: d["facts"].reverse())
    report = fresh_store.import_directory(knowledge_copy)
    assert report.unchanged
    assert fresh_store.revision() == 1


def test_audit_finds_untranslated_texts_and_future_review_dates(knowledge_copy: Path) -> None:
    assert audit(read_knowledge(KNOWLEDGE_DIR)) == []

    def edit(data: dict[str, Any]) -> None:
        fact(data, "rem_studies").update(reviewed="2030-01-02")
        data["topic"]["title"]["en"] = data["topic"]["title"]["sq"]

    edit_yaml(knowledge_copy / "remittances.yml", edit)
    content = read_knowledge(knowledge_copy)  # an import would take it
    untranslated = "remittances.yml: topic (remittances): title: the 'sq' and 'en' texts are the same"
    assert audit(content, today=dt.date(2030, 1, 2)) == [untranslated]
    assert set(audit(content, today=dt.date(2030, 1, 1))) == {
        untranslated, "remittances.yml: facts[1] (rem_studies): reviewed: 2030-01-02 is in the future"}


# ----------------------------------------------------------------------- the content


def test_every_answerable_entry_has_both_languages_a_source_and_a_review_date(
        snapshot: Snapshot) -> None:
    assert {d.kind for d in snapshot.documents} == {"fact", "milestone", "organisation"}
    for doc in snapshot.documents:
        assert doc.text.sq.strip() and doc.text.en.strip(), doc.key
        assert doc.text.sq != doc.text.en, doc.key
        assert doc.source.key and doc.source.title.sq.strip() and doc.source.title.en.strip()
        assert isinstance(doc.reviewed, dt.date), doc.key
        # a review date in the future is a typo (one day of slack for time zones)
        assert doc.reviewed <= dt.date.today() + dt.timedelta(days=1), doc.key


def test_every_topic_has_a_summary_and_a_next_step_in_both_languages(
        snapshot: Snapshot) -> None:
    assert snapshot.topics
    for key, topic in snapshot.topics.items():
        assert topic.title.sq and topic.title.en and topic.next_step.sq and topic.next_step.en
        summary = snapshot.summary_of(key)
        assert summary is not None and summary.kind == "fact", key


def _raw_texts() -> list[tuple[str, str, str]]:
    """(where, sq, en) for every text the files give in both languages."""
    content = read_knowledge(KNOWLEDGE_DIR)
    texts = []
    for row in content.rows[Fact] + content.rows[Milestone]:
        texts.append((row["key"], row["text_sq"], row["text_en"]))
    for row in content.rows[Organisation]:
        texts.append((row["key"], row["helps_with_sq"], row["helps_with_en"]))
        texts.append((f"{row['key']}.name", row["name_sq"], row["name_en"]))
    for row in content.rows[Topic]:
        texts.append((f"{row['key']}.next_step", row["next_step_sq"], row["next_step_en"]))
    return texts


def test_albanian_texts_are_written_with_diacritics() -> None:
    texts = _raw_texts()
    with_diacritics = [key for key, sq, _ in texts if re.search("[ëçËÇ]", sq)]
    assert len(with_diacritics) / len(texts) >= 0.8, (
        "Albanian texts without ë/ç: " + ", ".join(k for k, sq, _ in texts
                                                    if k not in with_diacritics))


def test_english_texts_are_not_albanian() -> None:
    # An English text with Albanian function words was probably pasted into the wrong field.
    albanian_words = re.compile(r"\b(është|dhe|për|në|të|nga|që)\b", re.IGNORECASE)
    for key, _, en in _raw_texts():
        assert not albanian_words.search(en.replace("“Të ndryshëm dhe të barabartë”", "")), key


def test_texts_fit_a_phone_screen(snapshot: Snapshot) -> None:
    for key, sq, en in _raw_texts():
        assert len(sq) <= MAX_TEXT and len(en) <= MAX_TEXT, key
    for doc in snapshot.documents:  # organisations are composed of several fields
        assert len(doc.text.sq) <= MAX_TEXT and len(doc.text.en) <= MAX_TEXT, doc.key


def test_phone_numbers_are_in_the_organisations_text(snapshot: Snapshot) -> None:
    with_phone = [d for d in snapshot.documents if d.phone]
    assert {d.phone for d in with_phone} >= {"112", "116 006"}
    for doc in with_phone:
        assert doc.phone in doc.text.sq and doc.phone in doc.text.en


# ----------------------------------------------------------------------- the snapshot


def test_snapshot_is_reused_while_the_revision_is_unchanged(
        fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    first = fresh_store.snapshot()
    assert fresh_store.snapshot() is first
    fresh_store.import_directory(knowledge_copy)  # nothing changed
    assert fresh_store.snapshot() is first


def test_snapshot_is_rebuilt_after_a_change(
        fresh_store: KnowledgeStore, knowledge_copy: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    first = fresh_store.snapshot()
    index = first.index
    edit_yaml(knowledge_copy / "safe_migration.yml",
              lambda d: fact(d, "saf_schengen_visa_free")["text"].update(
                  en="Albanian citizens may stay up to 91 days in the Schengen area."))
    fresh_store.import_directory(knowledge_copy)
    second = fresh_store.snapshot()
    assert second is not first
    assert second.revision == first.revision + 1
    assert "91" in second.by_key["saf_schengen_visa_free"].text.en
    assert "91" not in first.by_key["saf_schengen_visa_free"].text.en  # old one untouched
    assert second.index is not index
    assert second.index.rank("91 days schengen")[0].document.key == "saf_schengen_visa_free"


def test_snapshot_sees_an_import_made_by_another_store_object(
        database_url: str, knowledge_copy: Path) -> None:
    reader, writer = KnowledgeStore(database_url), KnowledgeStore(database_url)
    writer.import_directory(knowledge_copy)
    first = reader.snapshot()
    edit_yaml(knowledge_copy / "remittances.yml",
              lambda d: d.update(facts=[f for f in d["facts"] if f["key"] != "rem_studies"]))
    writer.import_directory(knowledge_copy)  # e.g. `helpline kb import` while the bot runs
    assert "rem_studies" in first.by_key
    assert "rem_studies" not in reader.snapshot().by_key
