"""Reads data/knowledge/*.yml strictly and loads it into the store idempotently.

A mistake in a file must change nothing and name the file, the entry and the field,
because the people editing these files are helpline staff, not developers. Every problem
found is reported at once, so that one run of `helpline kb check` lists all there is to fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.knowledge.schema import Fact, Milestone, Organisation, Source, StoreInfo, Topic

Row = dict[str, Any]
_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_PHONE = re.compile(r"^\+?\d[\d ]{1,18}\d$")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
# Tags an organisation may carry besides topic keys (see data/knowledge/contacts.yml).
CONTACT_TAGS = frozenset({"emergency", "handoff"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")  # ISO 639: sq, en, it, el, rom...
MAX_TEXT = 400  # characters per language: an answer has to fit a phone screen
# Columns an import keeps up to date without calling the entry changed (see schema._Ordered).
_BOOKKEEPING = frozenset({"position"})


class KnowledgeError(ValueError):
    """One or more problems in the knowledge files, one line each, each located precisely
    enough to fix it ("file: entry: field: problem")."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems: tuple[str, ...] = problems


def where(file: str, entry: str, field_name: str, problem: str) -> str:
    """One problem, as staff read it: "remittances.yml: facts[1]: reviewed: must be a date"."""
    return f"{file}: {entry}: {field_name}: {problem}"


@dataclass
class Content:
    """Validated rows per table, in the order they must be inserted, and where each came from."""

    rows: dict[type, list[Row]] = field(
        default_factory=lambda: {m: [] for m in (Source, Topic, Fact, Milestone, Organisation)})
    origins: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def _namespace(model: type) -> str:
        # Topic keys are unique among topics; every other key is unique across all files, so
        # a fact, a milestone or an organisation can be named by its key alone.
        return "topic" if model is Topic else "entry"

    def add(self, model: type, row: Row, entry: _Entry) -> None:
        """Adds a row of a valid entry; notes the entry's problems, or a key already used."""
        if entry.problems:
            self.problems.extend(entry.problems)
            return
        where = (self._namespace(model), row["key"])
        if where in self.origins:
            file, name = self.origins[where]
            self.problems.append(entry.locate("key", f"'{row['key']}' is already used in {file}: {name}"))
            return
        self.rows[model].append(row)
        self.origins[where] = (entry.file, f"{entry.name} ({row['key']})")

    def locate(self, model: type, key: str, field_name: str, problem: str) -> str:
        """A problem located at the file and entry a row was read from."""
        file, entry = self.origins[(self._namespace(model), key)]
        return where(file, entry, field_name, problem)


@dataclass
class ImportReport:
    """What an import changed, by "table:key"."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _noting(default: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Makes an accessor note its problem on the entry and return `default`, so that reading
    goes on and every bad field of the entry is reported, not only the first."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def noting(self: _Entry, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except KnowledgeError as error:
                self.problems.extend(error.problems)
                return default
        return noting
    return decorate


class _Entry:
    """Typed accessors for one YAML mapping; they note problems with their location."""

    def __init__(self, file: str, name: str, data: Any, allowed: Iterable[str]) -> None:
        self.file, self.name = file, name
        if not isinstance(data, dict):
            raise self.fail("-", "expected a mapping of fields")
        self.problems = [self.locate(unknown, "unknown field") for unknown in sorted(set(data) - set(allowed))]
        self.data = data

    def locate(self, field_name: str, problem: str) -> str:
        return where(self.file, self.name, field_name, problem)

    def fail(self, field_name: str, problem: str) -> KnowledgeError:
        return KnowledgeError(self.locate(field_name, problem))

    @_noting(None)
    def text(self, name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be non-empty text")
        if len(value) > limit:
            raise self.fail(name, f"longer than {limit} characters")
        return value.strip()

    @_noting((None, None))
    def pair(self, name: str, *, required: bool = True) -> tuple[str | None, str | None]:
        value = self.data.get(name)
        if value is None and not required:
            return None, None
        if not isinstance(value, dict) or set(value) != {"sq", "en"}:
            raise self.fail(name, "needs exactly the languages 'sq' and 'en'")
        inner = _Entry(self.file, f"{self.name}.{name}", value, ("sq", "en"))
        texts = inner.text("sq"), inner.text("en")
        self.problems.extend(inner.problems)
        return texts

    @_noting("")
    def key(self) -> str:
        value = self.data.get("key")
        if not isinstance(value, str) or not _KEY.match(value):
            raise self.fail("key", "must be snake_case letters, digits and _ (2-80 characters)")
        return value

    @_noting(("", ""))
    def keywords(self) -> tuple[str, str]:
        value = self.data.get("keywords") or {"sq": [], "en": []}
        if not isinstance(value, dict) or set(value) - {"sq", "en"}:
            raise self.fail("keywords", "needs lists under 'sq' and 'en'")
        joined = []
        for lang in ("sq", "en"):
            items = value.get(lang) or []
            if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() and "|" not in i
                                                      for i in items):
                raise self.fail(f"keywords.{lang}", "must be a list of words (without '|')")
            joined.append("|".join(i.strip() for i in items))
        return joined[0], joined[1]

    @_noting(None)
    def partial_date(self, name: str, *, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not _PARTIAL_DATE.match(value):
            raise self.fail(name, "must be a quoted date: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'")
        return value

    @_noting(None)
    def day(self, name: str) -> dt.date:
        value = self.data.get(name)
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(name, "must be a date 'YYYY-MM-DD'") from None

    @_noting(None)
    def pattern(self, name: str, regex: re.Pattern[str], what: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not regex.match(value.strip()):
            raise self.fail(name, f"is not a well-formed {what}")
        return value.strip()

    @_noting(False)
    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    @_noting(())
    def names(self, name: str, regex: re.Pattern[str], what: str) -> Sequence[str]:
        """An optional list of short names (topic keys, language codes)."""
        value = self.data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and regex.match(v) for v in value):
            raise self.fail(name, f"must be a list of {what}")
        return value


def _sourced(entry: _Entry) -> Row:
    keywords_sq, keywords_en = entry.keywords()
    return {"keywords_sq": keywords_sq, "keywords_en": keywords_en,
            "source_key": entry.text("source", limit=80), "reviewed": entry.day("reviewed")}


_SOURCED = ("key", "text", "keywords", "source", "reviewed")


def _entries(file: str, section: str, items: Any, allowed: Iterable[str],
             content: Content) -> Iterable[tuple[int, _Entry]]:
    """The entries of a list section, with their place in it; a non-mapping is noted and skipped."""
    if not isinstance(items, list):
        content.problems.append(where(file, section, "-", "must be a list of entries"))
        return
    for i, item in enumerate(items):
        try:
            yield i, _Entry(file, f"{section}[{i}]", item, allowed)
        except KnowledgeError as error:
            content.problems.extend(error.problems)


def _read_sources(file: str, items: Any, content: Content) -> None:
    for i, e in _entries(file, "sources", items, ("key", "title", "url", "published"), content):
        title_sq, title_en = e.pair("title")
        content.add(Source, {
            "key": e.key(), "title_sq": title_sq, "title_en": title_en, "position": i,
            "url": e.pattern("url", _URL, "URL"), "published": e.partial_date("published", required=False)},
            e)


def _read_topic(file: str, topic: Any, facts: Any, content: Content) -> None:
    try:
        t = _Entry(file, "topic", topic, ("key", "title", "next_step"))
    except KnowledgeError as error:
        content.problems.extend(error.problems)
        return
    topic_key = t.key()
    title_sq, title_en = t.pair("title")
    next_sq, next_en = t.pair("next_step")
    content.add(Topic, {"key": topic_key, "title_sq": title_sq, "title_en": title_en,
                        "next_step_sq": next_sq, "next_step_en": next_en}, t)
    summaries = 0
    for i, e in _entries(file, "facts", facts, (*_SOURCED, "summary"), content):
        text_sq, text_en = e.pair("text")
        summary = e.flag("summary")
        summaries += summary
        content.add(Fact, {"key": e.key(), "topic_key": topic_key, "summary": summary, "position": i,
                           "text_sq": text_sq, "text_en": text_en, **_sourced(e)}, e)
    if summaries != 1:
        content.problems.append(
            where(file, "facts", "summary", f"exactly one fact needs summary: true, found {summaries}"))


def _read_milestones(file: str, items: Any, content: Content) -> None:
    for i, e in _entries(file, "milestones", items, (*_SOURCED, "date", "topic"), content):
        text_sq, text_en = e.pair("text")
        content.add(Milestone, {
            "key": e.key(), "date": e.partial_date("date"), "topic_key": e.text("topic", limit=40),
            "position": i, "text_sq": text_sq, "text_en": text_en, **_sourced(e)}, e)


ORGANISATION_FIELDS = ("key", "name", "city", "phone", "hours", "url", "languages", "helps_with",
                       "topics", "source", "reviewed")


def _read_organisations(file: str, items: Any, content: Content) -> None:
    for i, e in _entries(file, "organisations", items, ORGANISATION_FIELDS, content):
        name_sq, name_en = e.pair("name")
        hours_sq, hours_en = e.pair("hours", required=False)
        helps_sq, helps_en = e.pair("helps_with")
        languages = e.names("languages", _LANGUAGE_CODE, "language codes such as sq, en")
        content.add(Organisation, {
            "key": e.key(), "name_sq": name_sq, "name_en": name_en, "position": i,
            "city": e.text("city", required=False, limit=80),
            "phone": e.pattern("phone", _PHONE, "phone number"),
            "hours_sq": hours_sq, "hours_en": hours_en, "url": e.pattern("url", _URL, "URL"),
            "languages": "|".join(languages) or None,
            "helps_with_sq": helps_sq, "helps_with_en": helps_en,
            "topics": "|".join(e.names("topics", _KEY, "topic keys")),
            "keywords_sq": "", "keywords_en": "",
            "source_key": e.text("source", limit=80), "reviewed": e.day("reviewed")}, e)


_SECTIONS: dict[frozenset[str], Callable[[str, dict[str, Any], Content], None]] = {
    frozenset({"sources"}): lambda f, d, c: _read_sources(f, d["sources"], c),
    frozenset({"topic", "facts"}): lambda f, d, c: _read_topic(f, d["topic"], d["facts"], c),
    frozenset({"milestones"}): lambda f, d, c: _read_milestones(f, d["milestones"], c),
    frozenset({"organisations"}): lambda f, d, c: _read_organisations(f, d["organisations"], c),
}


def read_knowledge(directory: Path) -> Content:
    """Parses and validates every knowledge file; raises one KnowledgeError listing every problem.

    References between files are checked only when every file is valid on its own: a file
    that cannot be read would otherwise show up again as dozens of "unknown topic" lines.
    """
    content = Content()
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeError(where(str(directory), "-", "-", "no *.yml knowledge files found"))
    for path in files:
        _read_file(path, content)
    if not content.problems:
        _check_references(content)
    if content.problems:
        raise KnowledgeError(*content.problems)
    return content


def _read_file(path: Path, content: Content) -> None:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        content.problems.append(where(name, "-", "-", f"not valid YAML: {error}"))
        return
    reader = _SECTIONS.get(frozenset(data) if isinstance(data, dict) else frozenset())
    if reader is None:
        content.problems.append(where(name, "-", "-", "expected top-level keys " + " or ".join(
            "+".join(sorted(keys)) for keys in _SECTIONS)))
        return
    reader(name, data, content)


def _check_references(content: Content) -> None:
    """Every source and topic that a row names exists."""
    sources = {row["key"] for row in content.rows[Source]}
    topics = {row["key"] for row in content.rows[Topic]}
    for model in (Fact, Milestone, Organisation):
        for row in content.rows[model]:
            if row["source_key"] not in sources:
                content.problems.append(content.locate(model, row["key"], "source",
                                                       f"unknown source '{row['source_key']}'"))
            named = [row.get("topic_key") or "", *row.get("topics", "").split("|")]
            for topic in filter(None, named):
                if topic not in topics and topic not in CONTACT_TAGS:
                    content.problems.append(content.locate(model, row["key"], "topic",
                                                           f"unknown topic '{topic}'"))


# The texts of an entry that must differ between the languages: the same text twice means
# one translation is missing.
_TRANSLATED = {Fact: ("text",), Milestone: ("text",), Organisation: ("name", "helps_with"),
               Topic: ("title", "next_step"), Source: ("title",)}


def audit(content: Content, today: dt.date | None = None) -> list[str]:
    """Checks beyond what an import needs (`helpline kb check`): every text really translated,
    and no review date in the future (a typo that would hide a fact from `kb stale`)."""
    today = today or dt.date.today()
    problems = []
    for model, fields in _TRANSLATED.items():
        for row in content.rows[model]:
            for name in fields:
                if row[f"{name}_sq"] == row[f"{name}_en"]:
                    problems.append(content.locate(model, row["key"], name,
                                                   "the 'sq' and 'en' texts are the same"))
            reviewed = row.get("reviewed")
            if reviewed is not None and reviewed > today:
                problems.append(content.locate(model, row["key"], "reviewed",
                                               f"{reviewed} is in the future"))
    return problems


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
                continue
            differing = {column for column, value in values.items() if getattr(current, column) != value}
            for column in differing:
                setattr(current, column, values[column])
            if differing - _BOOKKEEPING:
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
