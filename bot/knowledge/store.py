"""Access to the knowledge store: sessions, and an immutable snapshot of what can be said.

Actions ask for `store.snapshot()`; it costs one session with one tiny query while content is
unchanged, and rebuilds the documents and the search index only after an import changed
something. A snapshot is never mutated, so concurrent action calls share it safely; the store
itself holds only the connection pool and a reference to the latest snapshot.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.knowledge.export import export_knowledge
from bot.knowledge.loader import CONTACT_TAGS, ImportReport, import_knowledge, read_knowledge
from bot.knowledge.migrations import upgrade_schema
from bot.knowledge.schema import Fact, Milestone, Organisation, Source, StoreInfo, Topic
from bot.language import Lang

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'knowledge.db'}"


def database_url() -> str:
    """The store's URL: HELPLINE_DB_URL, or a SQLite file under var/."""
    return os.environ.get("HELPLINE_DB_URL") or DEFAULT_URL


@dataclass(frozen=True)
class Bilingual:
    """A text in both languages."""

    sq: str
    en: str

    def get(self, language: Lang) -> str:
        return self.sq if language == "sq" else self.en


@dataclass(frozen=True)
class SourceRef:
    key: str
    title: Bilingual
    url: str | None


@dataclass(frozen=True)
class TopicInfo:
    key: str
    title: Bilingual
    next_step: Bilingual


@dataclass(frozen=True)
class Document:
    """Anything the assistant can answer with: a fact, a milestone or an organisation."""

    key: str
    kind: Literal["fact", "milestone", "organisation"]
    topics: tuple[str, ...]
    text: Bilingual
    keywords: Bilingual
    source: SourceRef
    reviewed: dt.date
    summary: bool = False
    phone: str | None = None
    # organisations only: what the services directory lists
    name: Bilingual | None = None
    hours: Bilingual | None = None
    url: str | None = None
    city: str | None = None
    languages: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return self.topics[0] if self.topics else ""


@dataclass(frozen=True)
class Snapshot:
    """Everything answerable at one store revision."""

    revision: int
    documents: tuple[Document, ...]
    topics: dict[str, TopicInfo]

    @cached_property
    def by_key(self) -> dict[str, Document]:
        return {doc.key: doc for doc in self.documents}

    @cached_property
    def index(self):
        from bot.knowledge.search import SearchIndex

        return SearchIndex(self.documents)

    def summary_of(self, topic: str) -> Document | None:
        return next((d for d in self.documents if d.summary and d.topic == topic), None)

    def organisations(self, topic: str | None = None) -> list[Document]:
        """The organisations of a topic or tag (all of them without one)."""
        return [d for d in self.documents
                if d.kind == "organisation" and (topic is None or topic in d.topics)]


def _organisation_text(org: Organisation, language: Lang) -> str:
    name = org.name_sq if language == "sq" else org.name_en
    helps = org.helps_with_sq if language == "sq" else org.helps_with_en
    hours = org.hours_sq if language == "sq" else org.hours_en
    parts = [f"{name}: {org.phone}" if org.phone else name, helps]
    if org.url:
        parts.append(org.url)
    if hours:
        parts.append(hours)
    return ". ".join(p.rstrip(".") for p in parts) + "."


class KnowledgeStore:
    """One per process; hands out short sessions from a connection pool."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        parsed = make_url(self.url)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # pool_pre_ping: a connection that died while the database was away is replaced
        # before use, so answers resume by themselves when the database is back.
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)
        self._snapshot: Snapshot | None = None

    def close(self) -> None:
        """Closes the pooled connections (a command line run ends; tests drop their database)."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed together, or rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    def upgrade(self) -> None:
        """Creates the tables, or migrates existing ones in place, to the newest schema."""
        upgrade_schema(self.engine)

    def import_directory(self, directory: Path = KNOWLEDGE_DIR) -> ImportReport:
        """Validates every file first, then loads all of it in one transaction."""
        content = read_knowledge(directory)
        self.upgrade()
        with self.session() as session:
            return import_knowledge(session, content)

    def export_directory(self, directory: Path) -> list[Path]:
        """Writes the store's content as knowledge files (see bot.knowledge.export)."""
        with self.session() as session:
            return export_knowledge(session, directory)

    @staticmethod
    def _revision(session: Session) -> int:
        info = session.get(StoreInfo, 1)
        return info.revision if info else 0

    def revision(self) -> int:
        with self.session() as session:
            return self._revision(session)

    def snapshot(self) -> Snapshot:
        """The current content; rebuilt only when an import has changed it.

        One session reads the revision and, if it moved, the content, so both come from the
        same transaction and an action call never holds more than one connection.
        """
        with self.session() as session:
            revision = self._revision(session)
            cached = self._snapshot
            if cached is not None and cached.revision == revision:
                return cached
            fresh = self._load(session, revision)
        self._snapshot = fresh
        return fresh

    @staticmethod
    def _load(session: Session, revision: int) -> Snapshot:
        sources = {
            s.key: SourceRef(s.key, Bilingual(s.title_sq, s.title_en), s.url)
            for s in session.execute(select(Source)).scalars()
        }
        topics = {
            t.key: TopicInfo(t.key, Bilingual(t.title_sq, t.title_en),
                             Bilingual(t.next_step_sq, t.next_step_en))
            for t in session.execute(select(Topic)).scalars()
        }
        docs: list[Document] = []
        for f in session.execute(select(Fact).order_by(Fact.key)).scalars():
            docs.append(Document(f.key, "fact", (f.topic_key,), Bilingual(f.text_sq, f.text_en),
                                 Bilingual(f.keywords_sq, f.keywords_en), sources[f.source_key],
                                 f.reviewed, summary=f.summary))
        for m in session.execute(select(Milestone).order_by(Milestone.date)).scalars():
            docs.append(Document(m.key, "milestone", (m.topic_key,),
                                 Bilingual(m.text_sq, m.text_en),
                                 Bilingual(m.keywords_sq, m.keywords_en), sources[m.source_key],
                                 m.reviewed))
        for o in session.execute(select(Organisation).order_by(Organisation.key)).scalars():
            docs.append(Document(
                o.key, "organisation",
                tuple(sorted((t for t in o.topics.split("|") if t), key=lambda t: t in CONTACT_TAGS)),
                Bilingual(_organisation_text(o, "sq"), _organisation_text(o, "en")),
                Bilingual(o.keywords_sq, o.keywords_en), sources[o.source_key], o.reviewed,
                phone=o.phone, name=Bilingual(o.name_sq, o.name_en),
                hours=Bilingual(o.hours_sq, o.hours_en) if o.hours_sq and o.hours_en else None,
                url=o.url, city=o.city, languages=tuple(filter(None, (o.languages or "").split("|")))))
        return Snapshot(revision, tuple(docs), topics)
