"""Reads data/knowledge/*.yml strictly and loads it into the store idempotently.

A mistake in a file must change nothing and name the file, the entry and the field,
because the people editing these files are helpline staff, not developers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.knowledge.schema import Base, Fact, Milestone, Organisation, Source, StoreInfo, Topic

Row = dict[str, Any]
_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_PHONE = re.compile(r"^\+?\d[\d ]{1,18}\d$")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
# Tags an organisation may carry besides topic keys (see data/knowledge/contacts.yml).
CONTACT_TAGS = frozenset({"emergency", "handoff"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
MAX_TEXT = 400  # characters per language: an answer has to fit a phone screen


class KnowledgeError(ValueError):
    """A problem in a knowledge file, located precisely enough to fix it."""

    def __init__(self, file: str, entry: str, field_name: str, problem: str) -> None:
        super().__init__(f"{file}: {entry}: {field_name}: {problem}")


@dataclass
class Content:
    """Validated rows per table, in the order they must be inserted, and where each came from."""

    rows: dict[type, list[Row]] = field(
        default_factory=lambda: {m: [] for m in (Source, Topic, Fact, Milestone, Organisation)})
    origins: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @staticmethod
    def _namespace(model: type) -> str:
        # Topic keys are unique among topics; every other key is unique across all files, so
        # a fact, a milestone or an organisation can be named by its key alone.
        return "topic" if model is Topic else "entry"

    def add(self, model: type, row: Row, entry: _Entry) -> None:
        """Adds a row, refusing a key that is already used."""
        where = (self._namespace(model), row["key"])
        if where in self.origins:
            file, name = self.origins[where]
            raise entry.fail("key", f"'{row['key']}' is already used in {file}: {name}")
        self.rows[model].append(row)
        self.origins[where] = (entry.file, f"{entry.name} ({row['key']})")

    def fail(self, model: type, key: str, field_name: str, problem: str) -> KnowledgeError:
        """An error located at the file and entry a row was read from."""
        file, entry = self.origins[(self._namespace(model), key)]
        return KnowledgeError(file, entry, field_name, problem)


@dataclass
class ImportReport:
    """What an import changed, by "table:key"."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


class _Entry:
    """Typed accessors for one YAML mapping that raise KnowledgeError with its location."""

    def __init__(self, file: str, name: str, data: Any, allowed: Iterable[str]) -> None:
        self.file, self.name = file, name
        if not isinstance(data, dict):
            raise KnowledgeError(file, name, "-", "expected a mapping of fields")
        unknown = set(data) - set(allowed)
        if unknown:
            raise KnowledgeError(file, name, sorted(unknown)[0], "unknown field")
        self.data = data

    def fail(self, field_name: str, problem: str) -> KnowledgeError:
        return KnowledgeError(self.file, self.name, field_name, problem)

    def text(self, name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be non-empty text")
        if len(value) > limit:
            raise self.fail(name, f"longer than {limit} characters")
        return value.strip()

    def pair(self, name: str, *, required: bool = True) -> tuple[str | None, str | None]:
        value = self.data.get(name)
        if value is None and not required:
            return None, None
        if not isinstance(value, dict) or set(value) != {"sq", "en"}:
            raise self.fail(name, "needs exactly the languages 'sq' and 'en'")
        inner = _Entry(self.file, f"{self.name}.{name}", value, ("sq", "en"))
        return inner.text("sq"), inner.text("en")

    def key(self) -> str:
        value = self.data.get("key")
        if not isinstance(value, str) or not _KEY.match(value):
            raise self.fail("key", "must be snake_case letters, digits and _ (2-80 characters)")
        return value

    def keywords(self) -> tuple[str, str]:
        value = self.data.get("keywords") or {"sq": [], "en": []}
        if not isinstance(value, dict) or set(value) - {"sq", "en"}:
            raise self.fail("keywords", "needs lists under 'sq' and 'en'")
        joined = []
        for lang in ("sq", "en"):
            items = value.get(lang) or []
            if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
                raise self.fail(f"keywords.{lang}", "must be a list of words")
            joined.append("|".join(i.strip() for i in items))
        return joined[0], joined[1]

    def partial_date(self, name: str, *, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not _PARTIAL_DATE.match(value):
            raise self.fail(name, "must be a quoted date: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'")
        return value

    def day(self, name: str) -> dt.date:
        value = self.data.get(name)
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(name, "must be a date 'YYYY-MM-DD'") from None

    def pattern(self, name: str, regex: re.Pattern[str], what: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not regex.match(value.strip()):
            raise self.fail(name, f"is not a well-formed {what}")
        return value.strip()

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value


def _sourced(entry: _Entry) -> Row:
    keywords_sq, keywords_en = entry.keywords()
    return {"keywords_sq": keywords_sq, "keywords_en": keywords_en,
            "source_key": entry.text("source", limit=80), "reviewed": entry.day("reviewed")}


_SOURCED = ("key", "text", "keywords", "source", "reviewed")


def _read_sources(file: str, items: list[Any], content: Content) -> None:
    for i, item in enumerate(items):
        e = _Entry(file, f"sources[{i}]", item, ("key", "title", "url", "published"))
        title_sq, title_en = e.pair("title")
        content.add(Source, {
            "key": e.key(), "title_sq": title_sq, "title_en": title_en,
            "url": e.pattern("url", _URL, "URL"), "published": e.partial_date("published", required=False)},
            e)


def _read_topic(file: str, topic: Any, facts: list[Any], content: Content) -> None:
    t = _Entry(file, "topic", topic, ("key", "title", "next_step"))
    topic_key = t.key()
    title_sq, title_en = t.pair("title")
    next_sq, next_en = t.pair("next_step")
    content.add(Topic, {"key": topic_key, "title_sq": title_sq, "title_en": title_en,
                        "next_step_sq": next_sq, "next_step_en": next_en}, t)
    summaries = 0
    for i, item in enumerate(facts):
        e = _Entry(file, f"facts[{i}]", item, (*_SOURCED, "summary"))
        text_sq, text_en = e.pair("text")
        summary = e.flag("summary")
        summaries += summary
        content.add(Fact, {"key": e.key(), "topic_key": topic_key, "summary": summary,
                           "text_sq": text_sq, "text_en": text_en, **_sourced(e)}, e)
    if summaries != 1:
        raise KnowledgeError(file, "facts", "summary", f"exactly one fact needs summary: true, found {summaries}")


def _read_milestones(file: str, items: list[Any], content: Content) -> None:
    for i, item in enumerate(items):
        e = _Entry(file, f"milestones[{i}]", item, (*_SOURCED, "date", "topic"))
        text_sq, text_en = e.pair("text")
        content.add(Milestone, {
            "key": e.key(), "date": e.partial_date("date"), "topic_key": e.text("topic", limit=40),
            "text_sq": text_sq, "text_en": text_en, **_sourced(e)}, e)


def _read_organisations(file: str, items: list[Any], content: Content) -> None:
    allowed = ("key", "name", "phone", "hours", "url", "helps_with", "topics", "source", "reviewed")
    for i, item in enumerate(items):
        e = _Entry(file, f"organisations[{i}]", item, allowed)
        name_sq, name_en = e.pair("name")
        hours_sq, hours_en = e.pair("hours", required=False)
        helps_sq, helps_en = e.pair("helps_with")
        topics = e.data.get("topics") or []
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise e.fail("topics", "must be a list of topic keys")
        keywords_sq, keywords_en = "", ""
        content.add(Organisation, {
            "key": e.key(), "name_sq": name_sq, "name_en": name_en,
            "phone": e.pattern("phone", _PHONE, "phone number"),
            "hours_sq": hours_sq, "hours_en": hours_en, "url": e.pattern("url", _URL, "URL"),
            "helps_with_sq": helps_sq, "helps_with_en": helps_en, "topics": "|".join(topics),
            "keywords_sq": keywords_sq, "keywords_en": keywords_en,
            "source_key": e.text("source", limit=80), "reviewed": e.day("reviewed")}, e)


_SECTIONS: dict[frozenset[str], Callable[[str, dict[str, Any], Content], None]] = {
    frozenset({"sources"}): lambda f, d, c: _read_sources(f, d["sources"], c),
    frozenset({"topic", "facts"}): lambda f, d, c: _read_topic(f, d["topic"], d["facts"], c),
    frozenset({"milestones"}): lambda f, d, c: _read_milestones(f, d["milestones"], c),
    frozenset({"organisations"}): lambda f, d, c: _read_organisations(f, d["organisations"], c),
}


def read_knowledge(directory: Path) -> Content:
    """Parses and validates every knowledge file; raises KnowledgeError on the first problem."""
    content = Content()
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeError(str(directory), "-", "-", "no *.yml knowledge files found")
    for path in files:
        name = path.name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise KnowledgeError(name, "-", "-", f"not valid YAML: {error}") from None
        reader = _SECTIONS.get(frozenset(data) if isinstance(data, dict) else frozenset())
        if reader is None:
            raise KnowledgeError(name, "-", "-", "expected top-level keys " + " or ".join(
                "+".join(sorted(keys)) for keys in _SECTIONS))
        for section in data.values():
            if not isinstance(section, list | dict):
                raise KnowledgeError(name, "-", "-", "sections must be lists or mappings")
        reader(name, data, content)
    _check_references(content)
    return content


def _check_references(content: Content) -> None:
    """Every source and topic that a row names exists."""
    sources = {row["key"] for row in content.rows[Source]}
    topics = {row["key"] for row in content.rows[Topic]}
    for model in (Fact, Milestone, Organisation):
        for row in content.rows[model]:
            if row["source_key"] not in sources:
                raise content.fail(model, row["key"], "source",
                                   f"unknown source '{row['source_key']}'")
            named = [row.get("topic_key") or "", *row.get("topics", "").split("|")]
            for topic in filter(None, named):
                if topic not in topics and topic not in CONTACT_TAGS:
                    raise content.fail(model, row["key"], "topic", f"unknown topic '{topic}'")


def import_knowledge(session: Session, content: Content) -> ImportReport:
    """Makes the store hold exactly `content`; the caller's transaction makes it all-or-nothing.

    Rows are added and updated parents first, and removed children first, so foreign keys
    hold at every step on PostgreSQL as well as SQLite.
    """
    report = ImportReport()
    leftovers: list[tuple[type, dict[str, Any]]] = []
    for model, rows in content.rows.items():
        existing = {row.key: row for row in session.execute(select(model)).scalars()}
        for values in rows:
            current = existing.pop(values["key"], None)
            if current is None:
                session.add(model(**values))
                report.added.append(f"{model.__tablename__}:{values['key']}")
            elif any(getattr(current, column) != value for column, value in values.items()):
                for column, value in values.items():
                    setattr(current, column, value)
                report.changed.append(f"{model.__tablename__}:{values['key']}")
        session.flush()
        leftovers.append((model, existing))
    for model, existing in reversed(leftovers):
        for key, row in existing.items():
            session.delete(row)
            report.removed.append(f"{model.__tablename__}:{key}")
        session.flush()
    if not report.unchanged:
        info = session.get(StoreInfo, 1) or StoreInfo(id=1, revision=0)
        info.revision += 1
        session.add(info)
    return report


def create_schema(session: Session) -> None:
    """Creates missing tables (schema migrations proper arrive with Alembic)."""
    Base.metadata.create_all(session.get_bind())
