"""Export: the store written back as knowledge files reads back as exactly what was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_knowledge import card, contact, edit_yaml

from bot.knowledge.loader import CONTACT_FIELDS, read_knowledge
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore


def load(directory: Path) -> dict[str, Any]:
    """Every knowledge file of a folder, as YAML data, by file name."""
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yml"))}


def key_orders(data: Any, where: str = "") -> dict[str, list[str]]:
    """The order of the keys of every mapping in a YAML document, by where it is."""
    orders: dict[str, list[str]] = {}
    if isinstance(data, dict):
        orders[where] = list(data)
        for key, value in data.items():
            orders.update(key_orders(value, f"{where}.{key}"))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            orders.update(key_orders(value, f"{where}[{i}]"))
    return orders


def assert_same_files(exported: Path, source: Path) -> None:
    """The same files, the same data, the same order of entries and of fields."""
    got, want = load(exported), load(source)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name
        assert key_orders(got[name]) == key_orders(want[name]), name


def test_export_of_the_shipped_content_equals_the_files(fresh_store: KnowledgeStore, tmp_path: Path) -> None:
    fresh_store.import_directory()
    written = fresh_store.export_directory(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(p.name for p in KNOWLEDGE_DIR.glob("*.yml"))
    assert_same_files(tmp_path / "out", KNOWLEDGE_DIR)


def test_importing_an_export_changes_nothing(fresh_store: KnowledgeStore, tmp_path: Path) -> None:
    fresh_store.import_directory()
    revision = fresh_store.revision()
    fresh_store.export_directory(tmp_path / "out")
    report = fresh_store.import_directory(tmp_path / "out")
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert fresh_store.revision() == revision
    exported, shipped = read_knowledge(tmp_path / "out"), read_knowledge(KNOWLEDGE_DIR)
    assert {m: [e.comparable() for e in es] for m, es in exported.entities.items()} == {
        m: [e.comparable() for e in es] for m, es in shipped.entities.items()}


def _edit_everything(directory: Path) -> None:
    """Edits of every kind staff make: texts, examples, order, optional fields, new and removed
    entries, a source cited by another file."""
    def work(data: dict[str, Any]) -> None:
        card(data, "work_it")["answer"]["en"] = "In Italy the employer asks for the nulla osta first."
        card(data, "work_de").update(review_note="The quota may change in 2027.")
        data["cards"].reverse()
        new = dict(card(data, "work_general"), key="work_new", subject="work_new")
        new["examples"] = {lang: [f"{e} (new)" for e in examples] for lang, examples in new["examples"].items()}
        data["cards"].append(new)

    def help_(data: dict[str, Any]) -> None:
        line = contact(data, "al_line")
        line["tags"] = ["trafficking_line"]
        # fields go where the layout puts them (the store keeps entries' order, not fields')
        data["contacts"] = [{name: c[name] for name in CONTACT_FIELDS if name in c} for c in data["contacts"]
                            if c["key"] != "al_embassies"]
        card(data, "help_services")["sources"].append(
            {"source": "src_work_it", "passage": "Per lavorare serve un visto."})

    edit_yaml(directory / "work.yml", work)
    edit_yaml(directory / "help.yml", help_)


def test_edits_round_trip_without_loss(fresh_store: KnowledgeStore, fixture_copy: Path, tmp_path: Path) -> None:
    fresh_store.import_directory(fixture_copy)
    _edit_everything(fixture_copy)
    report = fresh_store.import_directory(fixture_copy)
    assert report.added == ["cards:work_new"] and report.removed == ["contacts:al_embassies"]
    assert set(report.changed) == {"cards:work_it", "cards:work_de", "cards:help_services",
                                   "contacts:al_line"}  # not the moves

    fresh_store.export_directory(tmp_path / "out")
    assert_same_files(tmp_path / "out", fixture_copy)
    assert fresh_store.import_directory(tmp_path / "out").unchanged


@pytest.mark.parametrize("value", ["1992", "2026-11-27", "112", "yes", "null", "true", "a: b", "#x"])
def test_texts_that_look_like_other_yaml_stay_texts(value: str) -> None:
    from bot.knowledge.export import dump

    assert yaml.safe_load(dump({"cards": [{"key": "k", "text": value}]})) == {
        "cards": [{"key": "k", "text": value}]}
