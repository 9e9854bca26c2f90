"""Export: the store written back as knowledge files reads back as exactly what was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_knowledge import edit_yaml, fact

from bot.knowledge.loader import ORGANISATION_FIELDS, read_knowledge
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
    assert read_knowledge(tmp_path / "out").rows == read_knowledge(KNOWLEDGE_DIR).rows


def _edit_everything(directory: Path) -> None:
    """Edits of every kind staff make: texts, order, optional fields, new and removed entries."""
    def remittances(data: dict[str, Any]) -> None:
        fact(data, "rem_action_plan")["text"]["en"] = "The draft plan has 9 specific measures."
        data["facts"].reverse()
        data["facts"].append({"key": "rem_new", "text": {"sq": "Një fakt i ri.", "en": "A new fact."},
                              "source": "helpline_guidance", "reviewed": "2026-01-02"})

    def contacts(data: dict[str, Any]) -> None:
        org = data["organisations"][0]
        org.update(languages=["sq", "en"], hours={"sq": "24 orë në ditë", "en": "24 hours a day"})
        # fields go where the layout puts them (the store keeps entries' order, not fields')
        data["organisations"][0] = {name: org[name] for name in ORGANISATION_FIELDS if name in org}
        data["organisations"] = [o for o in data["organisations"] if o["key"] != "migrant_service_centre"]

    edit_yaml(directory / "remittances.yml", remittances)
    edit_yaml(directory / "contacts.yml", contacts)
    edit_yaml(directory / "milestones.yml", lambda d: d["milestones"].insert(0, d["milestones"].pop()))


def test_edits_round_trip_without_loss(
        fresh_store: KnowledgeStore, knowledge_copy: Path, tmp_path: Path) -> None:
    fresh_store.import_directory(knowledge_copy)
    _edit_everything(knowledge_copy)
    report = fresh_store.import_directory(knowledge_copy)
    assert report.added == ["facts:rem_new"] and report.removed == ["organisations:migrant_service_centre"]
    assert set(report.changed) == {"facts:rem_action_plan", "organisations:emergency_112"}  # not the moves

    fresh_store.export_directory(tmp_path / "out")
    assert_same_files(tmp_path / "out", knowledge_copy)
    assert fresh_store.import_directory(tmp_path / "out").unchanged


def test_an_export_keeps_the_comments_of_contacts(fresh_store: KnowledgeStore, tmp_path: Path) -> None:
    fresh_store.import_directory()
    fresh_store.export_directory(tmp_path)
    source = (KNOWLEDGE_DIR / "contacts.yml").read_text(encoding="utf-8")
    exported = (tmp_path / "contacts.yml").read_text(encoding="utf-8")
    assert exported.split("organisations:")[0] == source.split("organisations:")[0]


@pytest.mark.parametrize("value", ["1992", "2026-11-27", "112", "yes", "null", "true", "a: b", "#x"])
def test_texts_that_look_like_other_yaml_stay_texts(value: str) -> None:
    from bot.knowledge.export import dump

    assert yaml.safe_load(dump({"facts": [{"key": "k", "text": value}]})) == {
        "facts": [{"key": "k", "text": value}]}
