"""Reads data/knowledge/*.yml strictly and loads it into the store idempotently.

A mistake in a file must change nothing and name the file, the entry and the field, because
the people editing these files are helpline staff, not developers. Every problem found is
reported at once, so that one run of `helpline kb check` lists all there is to fix. The file
format is described in docs/knowledge.md.
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
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.knowledge.model import ASPECTS, CONTACT_TAGS, WHERE
from bot.knowledge.schema import (
    Card,
    CardContact,
    CardExample,
    CardSource,
    Contact,
    ContactSource,
    Model,
    Source,
    StoreInfo,
    Topic,
)
from bot.places import COUNTRY_CODES
from bot.text import LANGUAGES, fold, words

Row = dict[str, Any]
_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_PHONE = re.compile(r"^\+?\d[\d ]{1,18}\d$")
_URL = re.compile(r"^https?://[\w.-]+\.[a-z]{2,}(:\d+)?(/\S*)?$", re.IGNORECASE)
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")  # ISO 639-1
# Limits, in characters per language: an answer has to fit a phone screen.
LIMITS = {"title": 60, "answer": 450, "next_step": 250, "helps_with": 250, "topic_title": 24,
          "passage": 700, "example": 300, "review_note": 500, "name": 160}
MIN_EXAMPLES = 8  # per language and card: what the card model learns the card from
# Columns an import keeps up to date without calling the entry changed (see schema._Placed).
_BOOKKEEPING = frozenset({"file", "position"})


class KnowledgeError(ValueError):
    """One or more problems in the knowledge files, one line each, each located precisely
    enough to fix it ("file: entry: field: problem")."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems: tuple[str, ...] = problems


def where(file: str, entry: str, field_name: str, problem: str) -> str:
    """One problem, as staff read it: "remittances.yml: cards[1]: reviewed: must be a date"."""
    return f"{file}: {entry}: {field_name}: {problem}"


@dataclass
class Entity:
    """One entry of a file as rows: its own row and its children's (examples, passages...)."""

    row: Row
    children: dict[Model, list[Row]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.row["key"]

    def comparable(self) -> tuple[Row, dict[str, list[Row]]]:
        """What an import compares: everything but the bookkeeping columns."""
        own = {k: v for k, v in self.row.items() if k not in _BOOKKEEPING}
        return own, {model.__tablename__: rows for model, rows in self.children.items()}


PARENTS: tuple[Model, ...] = (Source, Topic, Contact, Card)
CHILDREN: dict[Model, tuple[tuple[Model, str], ...]] = {
    Contact: ((ContactSource, "contact_key"),),
    Card: ((CardExample, "card_key"), (CardSource, "card_key"), (CardContact, "card_key")),
}


@dataclass
class Content:
    """Validated entities per table, in the order they must be inserted, and where each came from."""

    entities: dict[Model, list[Entity]] = field(default_factory=lambda: {m: [] for m in PARENTS})
    origins: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def _namespace(model: Model) -> str:
        # Topic keys are unique among topics; every other key is unique across all files, so a
        # card, a contact or a source can be named by its key alone.
        return "topic" if model is Topic else "entry"

    def add(self, model: Model, entity: Entity, entry: _Entry) -> None:
        """Adds a valid entry; notes the entry's problems, or a key already used."""
        if entry.problems:
            self.problems.extend(entry.problems)
            return
        place = (self._namespace(model), entity.key)
        if place in self.origins:
            file, name = self.origins[place]
            self.problems.append(entry.locate("key", f"'{entity.key}' is already used in {file}: {name}"))
            return
        self.entities[model].append(entity)
        self.origins[place] = (entry.file, f"{entry.name} ({entity.key})")

    def locate(self, model: Model, key: str, field_name: str, problem: str) -> str:
        """A problem located at the file and entry a row was read from."""
        file, entry = self.origins[(self._namespace(model), key)]
        return where(file, entry, field_name, problem)

    def keys(self, model: Model) -> set[str]:
        return {entity.key for entity in self.entities[model]}

    @property
    def count(self) -> int:
        return sum(len(entities) for entities in self.entities.values())


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

    def child(self, name: str, data: Any, allowed: Iterable[str]) -> _Entry:
        """A nested mapping whose problems are reported as this entry's."""
        try:
            inner = _Entry(self.file, f"{self.name}.{name}", data, allowed)
        except KnowledgeError as error:
            self.problems.extend(error.problems)
            inner = _Entry(self.file, f"{self.name}.{name}", {}, ())
        return inner

    def adopt(self, inner: _Entry) -> None:
        self.problems.extend(inner.problems)
        inner.problems = []

    @_noting(None)
    def text(self, name: str, *, required: bool = True, limit: int = 500) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be non-empty text")
        if len(value.strip()) > limit:
            raise self.fail(name, f"longer than {limit} characters ({len(value.strip())})")
        return value.strip()

    @_noting((None, None))
    def pair(self, name: str, *, limit: int, required: bool = True) -> tuple[str | None, str | None]:
        value = self.data.get(name)
        if value is None and not required:
            return None, None
        if not isinstance(value, dict) or set(value) != {"sq", "en"}:
            raise self.fail(name, "needs exactly the languages 'sq' and 'en'")
        inner = self.child(name, value, LANGUAGES)
        texts = inner.text("sq", limit=limit), inner.text("en", limit=limit)
        self.adopt(inner)
        return texts

    @_noting("")
    def key(self) -> str:
        value = self.data.get("key")
        if not isinstance(value, str) or not _KEY.match(value):
            raise self.fail("key", "must be snake_case letters, digits and _ (2-80 characters)")
        return value

    @_noting("")
    def snake(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not _KEY.match(value):
            raise self.fail(name, "must be snake_case letters, digits and _ (2-80 characters)")
        return value

    @_noting(None)
    def choice(self, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        value = self.data.get(name, default)
        if value not in allowed:
            raise self.fail(name, f"must be one of: {', '.join(allowed)}")
        return value

    @_noting(None)
    def partial_date(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
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
    def pattern(self, name: str, regex: re.Pattern[str], what: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not regex.match(value.strip()):
            raise self.fail(name, f"is not a well-formed {what}")
        return value.strip()

    @_noting(None)
    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise self.fail(name, "must be a whole number")
        return value

    @_noting(())
    def names(self, name: str, allowed: Callable[[str], bool], what: str) -> Sequence[str]:
        """An optional list of short names (keys, codes, tags), without repeats."""
        value = self.data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and allowed(v) for v in value):
            raise self.fail(name, f"must be a list of {what}")
        if len(set(value)) != len(value):
            raise self.fail(name, "names an item twice")
        return value

    @_noting(())
    def list_of(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if not isinstance(value, list) or not value:
            raise self.fail(name, "must be a non-empty list")
        return value


def _reviewed(entry: _Entry) -> Row:
    reviewed, review_by = entry.day("reviewed"), entry.day("review_by")
    if reviewed and review_by and review_by <= reviewed:
        entry.problems.append(entry.locate("review_by", f"{review_by} is not after reviewed ({reviewed})"))
    return {"reviewed": reviewed, "review_by": review_by}


def _passages(entry: _Entry, owner: str, key: str) -> list[Row]:
    """The `sources` of a card or contact: each a source key with the passage it rests on."""
    rows = []
    for i, item in enumerate(entry.list_of("sources")):
        inner = entry.child(f"sources[{i}]", item, ("source", "passage"))
        rows.append({owner: key, "position": i, "source_key": inner.snake("source"),
                     "passage": inner.text("passage", limit=LIMITS["passage"])})
        entry.adopt(inner)
    return rows


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


SOURCE_FIELDS = ("key", "publisher", "title", "url", "language", "published", "accessed")
TOPIC_FIELDS = ("key", "title", "order")
CONTACT_FIELDS = ("key", "name", "phone", "url", "country", "city", "helps_with", "tags", "sources",
                  "reviewed", "review_by")
CARD_FIELDS = ("key", "subject", "aspect", "countries", "where", "title", "answer", "next_step",
               "examples", "contacts", "sources", "reviewed", "review_by", "review_note")


def _read_sources(file: str, items: Any, content: Content) -> None:
    for i, e in _entries(file, "sources", items, SOURCE_FIELDS, content):
        content.add(Source, Entity({
            "key": e.key(), "publisher": e.text("publisher", limit=200), "title": e.text("title", limit=300),
            "url": e.pattern("url", _URL, "URL (http:// or https://)", required=True),
            "language": e.pattern("language", _LANGUAGE_CODE, "language code such as it, sq, en",
                                  required=True),
            "published": e.partial_date("published"), "accessed": e.day("accessed"),
            "file": file, "position": i}), e)


def _read_topic(file: str, topic: Any, content: Content) -> str | None:
    try:
        t = _Entry(file, "topic", topic, TOPIC_FIELDS)
    except KnowledgeError as error:
        content.problems.extend(error.problems)
        return None
    key = t.key()
    title_sq, title_en = t.pair("title", limit=LIMITS["topic_title"])
    content.add(Topic, Entity({"key": key, "title_sq": title_sq, "title_en": title_en,
                               "button_order": t.integer("order"), "file": file, "position": 0}), t)
    return key


def _read_contacts(file: str, items: Any, content: Content) -> None:
    for i, e in _entries(file, "contacts", items, CONTACT_FIELDS, content):
        key = e.key()
        name_sq, name_en = e.pair("name", limit=LIMITS["name"])
        helps_sq, helps_en = e.pair("helps_with", limit=LIMITS["helps_with"])
        row = {"key": key, "name_sq": name_sq, "name_en": name_en,
               "phone": e.pattern("phone", _PHONE, "phone number (digits and spaces, optional +)"),
               "url": e.pattern("url", _URL, "URL (http:// or https://)"),
               "country": e.choice("country", sorted(COUNTRY_CODES)), "city": e.text("city", required=False, limit=80),
               "helps_with_sq": helps_sq, "helps_with_en": helps_en,
               "tags": "|".join(e.names("tags", CONTACT_TAGS.__contains__, "tags: " + ", ".join(CONTACT_TAGS))),
               **_reviewed(e), "file": file, "position": i}
        content.add(Contact, Entity(row, {ContactSource: _passages(e, "contact_key", key)}), e)


def _examples(e: _Entry, key: str) -> list[Row]:
    value = e.data.get("examples")
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        e.problems.append(e.locate("examples", "needs lists under exactly 'sq' and 'en'"))
        return []
    rows = []
    for language in LANGUAGES:
        items = value[language]
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            e.problems.append(e.locate(f"examples.{language}", "must be a list of questions"))
            continue
        if len(items) < MIN_EXAMPLES:
            e.problems.append(e.locate(f"examples.{language}",
                                       f"needs at least {MIN_EXAMPLES} examples, has {len(items)}"))
        seen: set[str] = set()
        for i, text in enumerate(items):
            text = text.strip()
            if len(text) > LIMITS["example"]:
                e.problems.append(e.locate(f"examples.{language}[{i}]", f"longer than {LIMITS['example']} characters"))
            if example_identity(text) in seen:
                e.problems.append(e.locate(f"examples.{language}[{i}]", "repeats an earlier example"))
            seen.add(example_identity(text))
            rows.append({"card_key": key, "language": language, "position": i, "text": text})
    return rows


def _read_cards(file: str, topic: str | None, items: Any, content: Content) -> None:
    for i, e in _entries(file, "cards", items, CARD_FIELDS, content):
        key = e.key()
        texts = {name: e.pair(name, limit=LIMITS[name]) for name in ("title", "answer", "next_step")}
        row = {"key": key, "topic_key": topic, "subject": e.snake("subject"), "aspect": e.choice("aspect", ASPECTS),
               "countries": "|".join(e.names("countries", COUNTRY_CODES.__contains__,
                                             "ISO 3166-1 alpha-2 country codes (IT, DE, GB ...)")),
               "where": e.choice("where", WHERE, default="any"),
               **{f"{name}_{lang}": text
                  for name, pair in texts.items() for lang, text in zip(LANGUAGES, pair, strict=True)},
               "review_note": e.text("review_note", required=False, limit=LIMITS["review_note"]),
               **_reviewed(e), "file": file, "position": i}
        contacts = [{"card_key": key, "position": j, "contact_key": contact}
                    for j, contact in enumerate(e.names("contacts", _KEY.match, "contact keys"))]
        children: dict[Model, list[Row]] = {CardExample: _examples(e, key),
                                            CardSource: _passages(e, "card_key", key), CardContact: contacts}
        if topic is None:
            e.problems.append(e.locate("-", "a file with cards needs a `topic:` section"))
        content.add(Card, Entity(row, children), e)


SECTIONS = ("topic", "sources", "contacts", "cards")


def read_knowledge(directory: Path) -> Content:
    """Parses and validates every knowledge file; raises one KnowledgeError listing every problem."""
    content = collect(directory)
    if content.problems:
        raise KnowledgeError(*content.problems)
    return content


def collect(directory: Path, *, references_always: bool = False) -> Content:
    """Every valid entry of the knowledge files, and every problem found (in `problems`).

    References between files are checked only when every file is valid on its own (a file
    that cannot be read would otherwise show up again as dozens of "unknown source" lines),
    unless `references_always`: someone checking one file wants its references checked even
    while another file is being written.
    """
    content = Content()
    files = sorted(directory.glob("*.yml"))
    if not files:
        content.problems.append(where(str(directory), "-", "-", "no *.yml knowledge files found"))
        return content
    for path in files:
        _read_file(path, content)
    if references_always or not content.problems:
        _check_references(content, references_always)
    return content


def _read_file(path: Path, content: Content) -> None:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        content.problems.append(where(name, "-", "-", f"not valid YAML: {error}"))
        return
    if not isinstance(data, dict) or not data or set(data) - set(SECTIONS):
        unknown = sorted(set(data) - set(SECTIONS)) if isinstance(data, dict) else []
        content.problems.append(where(name, "-", "-", "expected top-level sections among "
                                      + ", ".join(SECTIONS)
                                      + (f" (unknown: {', '.join(map(str, unknown))})" if unknown else "")))
        return
    topic = _read_topic(name, data["topic"], content) if "topic" in data else None
    if "sources" in data:
        _read_sources(name, data["sources"], content)
    if "contacts" in data:
        _read_contacts(name, data["contacts"], content)
    if "cards" in data:
        _read_cards(name, topic, data["cards"], content)


def _check_references(content: Content, references_always: bool = False) -> None:
    """Every source and contact that an entry names exists; every number is sourced."""
    sources = {e.key: e for e in content.entities[Source]}
    contacts = {e.key: e for e in content.entities[Contact]}
    for model, passage_model in ((Contact, ContactSource), (Card, CardSource)):
        for entity in content.entities[model]:
            for i, row in enumerate(entity.children[passage_model]):
                if row["source_key"] not in sources:
                    content.problems.append(content.locate(model, entity.key, f"sources[{i}].source",
                                                           f"unknown source '{row['source_key']}'"))
    for entity in content.entities[Card]:
        for i, row in enumerate(entity.children[CardContact]):
            if row["contact_key"] not in contacts:
                content.problems.append(content.locate(Card, entity.key, f"contacts[{i}]",
                                                       f"unknown contact '{row['contact_key']}'"))
    if content.problems and not references_always:
        return
    for entity in content.entities[Contact]:
        phone = entity.row["phone"]
        if phone and not phone_in(phone, [r["passage"] for r in entity.children[ContactSource]]):
            content.problems.append(content.locate(Contact, entity.key, "phone",
                                                   f"'{phone}' does not appear in any of its passages"))
    for entity in content.entities[Card]:
        passages = [r["passage"] for r in entity.children[CardSource]]
        phones = [contacts[r["contact_key"]].row["phone"] for r in entity.children[CardContact]
                  if r["contact_key"] in contacts]
        sourced = numbers_in(" ".join(passages)) | numbers_in(" ".join(p for p in phones if p))
        for name in ("answer", "next_step"):
            for lang in LANGUAGES:
                for number in sorted(unsourced_numbers(entity.row[f"{name}_{lang}"], sourced)):
                    content.problems.append(content.locate(
                        Card, entity.key, f"{name}.{lang}",
                        f"the number '{number}' is in none of the card's passages or contacts' phones"))


# A number as written in running text: 90, 116 006, 10.000, 1,040 (groups of three digits).
_NUMBER = re.compile(r"\d+(?:[ .,\u00a0\u202f]\d{3}(?!\d))*")


def numbers_in(text: str) -> set[str]:
    """Every number of a text, both as written together ("116006") and group by group."""
    found: set[str] = set()
    for match in _NUMBER.findall(text):
        groups = re.findall(r"\d+", match)
        found.add("".join(groups))
        found.update(groups)
    return found


def unsourced_numbers(text: str, sourced: set[str]) -> set[str]:
    """The numbers of `text` that `sourced` does not contain, whole or group by group."""
    missing = set()
    for match in _NUMBER.findall(text):
        groups = re.findall(r"\d+", match)
        if "".join(groups) not in sourced and not all(g in sourced for g in groups):
            missing.add(match)
    return missing


def phone_in(phone: str, passages: Iterable[str]) -> bool:
    """Whether a phone number appears in a passage, however its digits are grouped there."""
    digits = re.sub(r"\D", "", phone)
    runs = (run for passage in passages
            for run in re.findall(r"\d+", re.sub(r"(?<=\d)[\s.\-/()\u00a0]+(?=\d)", "", passage)))
    return any(digits in run.lstrip("0") or digits in run for run in runs)


def example_identity(text: str) -> str:
    """What makes two examples the same question: their words, folded (ë→e), in order."""
    return " ".join(words(text))


# The texts of an entry that must differ between the languages: the same text twice means
# one translation is missing.
_TRANSLATED = {Card: ("title", "answer", "next_step"), Contact: ("name", "helps_with")}


def audit(content: Content, today: dt.date | None = None) -> list[str]:
    """Checks beyond what an import needs (`helpline kb check`): every text really translated,
    no review date in the future (a typo that would hide a card from `kb stale`), and no example
    question claimed by two cards (the card model could not tell them apart)."""
    today = today or dt.date.today()
    problems = []
    for model, fields in _TRANSLATED.items():
        for entity in content.entities[model]:
            for name in fields:
                if fold(entity.row[f"{name}_sq"]) == fold(entity.row[f"{name}_en"]):
                    problems.append(content.locate(model, entity.key, name,
                                                   "the 'sq' and 'en' texts are the same"))
            if entity.row["reviewed"] > today:
                problems.append(content.locate(model, entity.key, "reviewed",
                                               f"{entity.row['reviewed']} is in the future"))
    for entity in content.entities[Source]:
        if entity.row["accessed"] > today:
            problems.append(content.locate(Source, entity.key, "accessed",
                                           f"{entity.row['accessed']} is in the future"))
    claimed: dict[str, str] = {}
    for entity in content.entities[Card]:
        for row in entity.children[CardExample]:
            identity = example_identity(row["text"])
            other = claimed.setdefault(identity, entity.key)
            if other != entity.key:
                problems.append(content.locate(Card, entity.key, f"examples.{row['language']}[{row['position']}]",
                                               f"'{row['text']}' is also an example of card '{other}'"))
    return problems


def _stored(session: Session, model: Model) -> dict[str, Entity]:
    """The entities of a table as an import compares them, children included."""
    columns = [c.name for c in model.__table__.columns]
    entities = {row.key: Entity({c: getattr(row, c) for c in columns})
                for row in session.execute(select(model)).scalars()}
    for child, owner in CHILDREN.get(model, ()):
        child_columns = [c.name for c in child.__table__.columns]
        for entity in entities.values():
            entity.children[child] = []
        for row in session.execute(select(child)).scalars():
            entities[getattr(row, owner)].children[child].append({c: getattr(row, c) for c in child_columns})
    return entities


def _comparable_children(entity: Entity) -> dict[str, list[Row]]:
    return {model.__tablename__: sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
            for model, rows in entity.children.items()}


def import_knowledge(session: Session, content: Content) -> ImportReport:
    """Makes the store hold exactly `content`; the caller's transaction makes it all-or-nothing.

    Entries are compared whole (with their examples, passages and contacts): a changed entry
    is rewritten with its children. Rows are added parents first and removed children first, so
    foreign keys hold at every step on PostgreSQL as well as SQLite.
    """
    report = ImportReport()
    leftovers: list[tuple[Model, dict[str, Entity]]] = []
    for model in PARENTS:
        existing = _stored(session, model)
        for entity in content.entities[model]:
            current = existing.pop(entity.key, None)
            label = f"{model.__tablename__}:{entity.key}"
            if current is None:
                report.added.append(label)
            else:
                own, _ = entity.comparable()
                stored_own, _ = current.comparable()
                if own != stored_own or _comparable_children(entity) != _comparable_children(current):
                    report.changed.append(label)
                elif all(entity.row[c] == current.row[c] for c in _BOOKKEEPING):
                    continue
            _write(session, model, entity, new=current is None)
        session.flush()
        leftovers.append((model, existing))
    for model, existing in reversed(leftovers):
        for key in existing:
            _delete_children(session, model, key)
            session.execute(delete(model).where(model.key == key))
            report.removed.append(f"{model.__tablename__}:{key}")
        session.flush()
    if not report.unchanged:
        info = session.get(StoreInfo, 1) or StoreInfo(id=1, revision=0)
        info.revision += 1
        session.add(info)
    return report


def _delete_children(session: Session, model: Model, key: str) -> None:
    for child, owner in CHILDREN.get(model, ()):
        session.execute(delete(child).where(getattr(child, owner) == key))


def _write(session: Session, model: Model, entity: Entity, *, new: bool) -> None:
    """Inserts an entity, or rewrites a stored one and its children."""
    if new:
        session.add(model(**entity.row))
    else:
        _delete_children(session, model, entity.key)
        session.merge(model(**entity.row))
    session.flush()
    for child, rows in entity.children.items():
        session.add_all(child(**row) for row in rows)
