"""Writes the store back out as data/knowledge-style YAML files.

Staff may edit the store's content as files again, so an export must read back as exactly
what was imported: same files, same entries in the same order, same fields in the same order
and style. `import` of an export reports nothing changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.knowledge.loader import CARD_FIELDS, CONTACT_FIELDS, SECTIONS
from bot.knowledge.schema import (
    Card,
    CardContact,
    CardExample,
    CardSource,
    Contact,
    ContactSource,
    Model,
    Source,
    Topic,
)

Entry = dict[str, Any]

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


def _pair(row: Any, name: str, *, flow: bool = False) -> dict[str, _Quoted] | None:
    sq, en = getattr(row, f"{name}_sq"), getattr(row, f"{name}_en")
    if sq is None and en is None:
        return None
    pair = {"sq": _Quoted(sq), "en": _Quoted(en)}
    return _Flow(pair) if flow else pair


def _listed(joined: str | None) -> _FlowList:
    return _FlowList(item for item in (joined or "").split("|") if item)


def _entry(*fields: tuple[str, Any]) -> Entry:
    """An entry with its fields in the given order, leaving out the empty ones."""
    return {name: value for name, value in fields if value not in (None, False, [], "")}


def _day(value: dt.date) -> str:
    return value.isoformat()


def _source(row: Source) -> Entry:
    return _entry(("key", row.key), ("publisher", _Quoted(row.publisher)), ("title", _Quoted(row.title)),
                  ("url", row.url), ("language", row.language), ("published", row.published),
                  ("accessed", _day(row.accessed)))


def _topic(row: Topic) -> Entry:
    return _entry(("key", row.key), ("title", _pair(row, "title", flow=True)), ("order", row.button_order))


def _passages(rows: Iterable[ContactSource | CardSource]) -> list[Entry]:
    return [{"source": r.source_key, "passage": _Quoted(r.passage)} for r in rows]


def _contact(row: Contact, passages: list[Entry]) -> Entry:
    fields = {
        "key": row.key, "name": _pair(row, "name", flow=True), "phone": row.phone, "url": row.url,
        "country": row.country, "city": row.city, "helps_with": _pair(row, "helps_with"),
        "tags": _listed(row.tags), "sources": passages, "reviewed": _day(row.reviewed),
        "review_by": _day(row.review_by)}
    return _entry(*((name, fields[name]) for name in CONTACT_FIELDS))


def _card(row: Card, examples: dict[str, list[str]], contacts: list[str], passages: list[Entry]) -> Entry:
    fields = {
        "key": row.key, "subject": row.subject, "aspect": row.aspect, "countries": _listed(row.countries),
        "where": None if row.where == "any" else row.where, "title": _pair(row, "title", flow=True),
        "answer": _pair(row, "answer"),
        "next_step": _pair(row, "next_step"),
        "examples": {lang: [_Quoted(t) for t in examples.get(lang, [])] for lang in ("sq", "en")},
        "contacts": _FlowList(contacts), "sources": passages, "reviewed": _day(row.reviewed),
        "review_by": _day(row.review_by), "review_note": _Quoted(row.review_note) if row.review_note else None}
    return _entry(*((name, fields[name]) for name in CARD_FIELDS))


def dump(data: dict[str, Any]) -> str:
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
    return "\n".join(lines) + "\n"


def _ordered(session: Session, model: Model) -> Iterable[Any]:
    return session.execute(select(model).order_by(model.file, model.position, model.key)).scalars()


def _grouped(session: Session, model: Model, owner: str) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(select(model).order_by(model.position)).scalars():
        groups[getattr(row, owner)].append(row)
    return groups


def export_knowledge(session: Session, directory: Path) -> list[Path]:
    """Writes every entry back into the file it came from, in its place, sections in order."""
    files: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in _ordered(session, Topic):
        files[row.file]["topic"] = _topic(row)
    for row in _ordered(session, Source):
        files[row.file].setdefault("sources", []).append(_source(row))
    contact_sources = _grouped(session, ContactSource, "contact_key")
    for row in _ordered(session, Contact):
        files[row.file].setdefault("contacts", []).append(_contact(row, _passages(contact_sources[row.key])))
    examples: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for example in session.execute(select(CardExample).order_by(CardExample.position)).scalars():
        examples[example.card_key][example.language].append(example.text)
    card_sources = _grouped(session, CardSource, "card_key")
    card_contacts = _grouped(session, CardContact, "card_key")
    for row in _ordered(session, Card):
        files[row.file].setdefault("cards", []).append(_card(
            row, examples[row.key], [c.contact_key for c in card_contacts[row.key]],
            _passages(card_sources[row.key])))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(files):
        path = directory / (name or "knowledge.yml")
        sections = files[name]
        path.write_text(dump({s: sections[s] for s in SECTIONS if s in sections}), encoding="utf-8")
        written.append(path)
    return written
