"""Writes the store back out as data/knowledge-style YAML files.

Staff may edit the store's content as files again, so an export must read back as exactly
what was imported: same files, same entries in the same order, same fields in the same order
and style. `import` of an export reports nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.knowledge.loader import ORGANISATION_FIELDS
from bot.knowledge.schema import Fact, Milestone, Organisation, Source, Topic

Entry = dict[str, Any]

# Comments that PyYAML cannot carry through a load; the files they explain are written here.
HEADERS = {
    "contacts.yml": (
        "# Organisations and contacts. `topics` are topic keys, plus two tags:\n"
        "#   emergency: numbers given first to a person in danger (utter_emergency must name them)\n"
        "#   handoff:   where a person answers when someone asks for a human\n"
        "# `city` is where an office is (the services directory lists it for questions about that city);\n"
        "# `languages` (e.g. [sq, en]) are the languages a service works in. Leave both out when the\n"
        "# sources do not say: an organisation without a city counts as national.\n"),
}
SOURCES_FILE, MILESTONES_FILE, CONTACTS_FILE = "sources.yml", "milestones.yml", "contacts.yml"


class _Flow(dict):
    """A mapping written on one line: {sq: "...", en: "..."}."""


class _FlowList(list):
    """A list written on one line: [a, b]."""


class _Quoted(str):
    """Text written in double quotes even when it looks like an identifier (keywords, texts)."""


class _Dumper(yaml.SafeDumper):
    """Identifiers plain, every other text double-quoted (so "1992" stays a string), lists
    indented under their key, no wrapping."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    plain = not isinstance(value, _Quoted) and _IDENTIFIER.match(value) and value not in _RESERVED
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Quoted, _represent_text)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _pair(row: Any, name: str, *, flow: bool = False) -> dict[str, str] | None:
    sq, en = getattr(row, f"{name}_sq"), getattr(row, f"{name}_en")
    if sq is None and en is None:
        return None
    pair = {"sq": _Quoted(sq), "en": _Quoted(en)}
    return _Flow(pair) if flow else pair


def _listed(joined: str | None) -> list[str]:
    return [item for item in (joined or "").split("|") if item]


def _keywords(row: Fact | Milestone) -> dict[str, list[str]] | None:
    lists = {lang: _FlowList(map(_Quoted, _listed(getattr(row, f"keywords_{lang}")))) for lang in ("sq", "en")}
    return lists if any(lists.values()) else None


def _entry(*fields: tuple[str, Any]) -> Entry:
    """An entry with its fields in the given order, leaving out the empty ones."""
    return {name: value for name, value in fields if value not in (None, False, [], "")}


def _source(row: Source) -> Entry:
    return _entry(("key", row.key), ("title", _pair(row, "title", flow=True)), ("url", row.url),
                  ("published", row.published))


def _sourced(row: Fact | Milestone | Organisation) -> list[tuple[str, Any]]:
    return [("source", row.source_key), ("reviewed", row.reviewed.isoformat())]


def _fact(row: Fact) -> Entry:
    return _entry(("key", row.key), ("summary", row.summary), ("text", _pair(row, "text")),
                  ("keywords", _keywords(row)), *_sourced(row))


def _milestone(row: Milestone) -> Entry:
    return _entry(("key", row.key), ("date", row.date), ("topic", row.topic_key),
                  ("text", _pair(row, "text")), ("keywords", _keywords(row)), *_sourced(row))


def _organisation(row: Organisation) -> Entry:
    fields = {
        "key": row.key, "name": _pair(row, "name", flow=True), "city": row.city, "phone": row.phone,
        "hours": _pair(row, "hours", flow=True), "url": row.url,
        "languages": _FlowList(_listed(row.languages)), "helps_with": _pair(row, "helps_with"),
        "topics": _FlowList(_listed(row.topics)), "source": row.source_key,
        "reviewed": row.reviewed.isoformat(),
    }
    return _entry(*((name, fields[name]) for name in ORGANISATION_FIELDS))


def _topic(row: Topic) -> Entry:
    return _entry(("key", row.key), ("title", _pair(row, "title", flow=True)),
                  ("next_step", _pair(row, "next_step")))


def dump(data: dict[str, Any], header: str = "") -> str:
    """YAML laid out like the hand-written files: a blank line between entries and sections."""
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     indent=2)
    lines: list[str] = []
    for line in text.splitlines():
        starts_section = bool(lines) and not line.startswith(" ")
        starts_entry = line.startswith("  - ") and not lines[-1].endswith(":")
        if starts_section or starts_entry:
            lines.append("")
        lines.append(line)
    return header + "\n".join(lines) + "\n"


def _ordered(session: Session, model: type) -> Iterable[Any]:
    return session.execute(select(model).order_by(model.position, model.key)).scalars()


def export_knowledge(session: Session, directory: Path) -> list[Path]:
    """Writes sources.yml, one <topic>.yml per topic, milestones.yml and contacts.yml."""
    files: dict[str, dict[str, Any]] = {
        SOURCES_FILE: {"sources": [_source(r) for r in _ordered(session, Source)]}}
    facts: dict[str, list[Entry]] = {}
    for row in _ordered(session, Fact):
        facts.setdefault(row.topic_key, []).append(_fact(row))
    for topic in session.execute(select(Topic).order_by(Topic.key)).scalars():
        files[f"{topic.key}.yml"] = {"topic": _topic(topic), "facts": facts.get(topic.key, [])}
    files[MILESTONES_FILE] = {"milestones": [_milestone(r) for r in _ordered(session, Milestone)]}
    files[CONTACTS_FILE] = {"organisations": [_organisation(r) for r in _ordered(session, Organisation)]}
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = directory / name
        path.write_text(dump(data, HEADERS.get(name, "")), encoding="utf-8")
        written.append(path)
    return written
