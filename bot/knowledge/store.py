"""Access to the knowledge store: sessions, and an immutable snapshot of what can be said.

Actions ask for `store.snapshot()`; it costs one session with one tiny query while content is
unchanged, and reads the content again only after an import changed something. A snapshot is
never mutated, so concurrent action calls share it safely; the store itself holds only the
connection pool and a reference to the latest snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import settings
from bot.knowledge import model, schema
from bot.knowledge.export import export_knowledge
from bot.knowledge.loader import ImportReport, import_knowledge, read_knowledge
from bot.knowledge.migrations import upgrade_schema

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'knowledge.db'}"


def database_url() -> str:
    """The store's URL: HELPLINE_DB_URL, or a SQLite file under var/."""
    return settings.database_url()


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(item for item in (joined or "").split("|") if item)


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
        self._snapshot: model.Snapshot | None = None

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
        info = session.get(schema.StoreInfo, 1)
        return info.revision if info else 0

    def revision(self) -> int:
        with self.session() as session:
            return self._revision(session)

    def snapshot(self) -> model.Snapshot:
        """The current content; read again only when an import has changed it.

        One session reads the revision and, if it moved, the content, so both come from the
        same transaction and an action call never holds more than one connection.
        """
        with self.session() as session:
            revision = self._revision(session)
            cached = self._snapshot
            if cached is not None and cached.revision == revision:
                return cached
            fresh = load_snapshot(session, revision)
        self._snapshot = fresh
        return fresh


def _rows(session: Session, table: schema.Model, order: tuple = ()) -> list:
    return list(session.execute(select(table).order_by(*order)).scalars())


def _placed(table: schema.Model) -> tuple:
    return (table.file, table.position)


def load_snapshot(session: Session, revision: int) -> model.Snapshot:
    """Reads the whole content into immutable values (a handful of queries, not one per card)."""
    sources = {s.key: model.Source(s.key, s.publisher, s.title, s.url, s.language, s.accessed, s.published)
               for s in _rows(session, schema.Source, _placed(schema.Source))}
    contact_citations: dict[str, list[model.Citation]] = defaultdict(list)
    for row in _rows(session, schema.ContactSource, (schema.ContactSource.position,)):
        contact_citations[row.contact_key].append(model.Citation(sources[row.source_key], row.passage))
    contacts = {
        c.key: model.Contact(
            c.key, model.Bilingual(c.name_sq, c.name_en), model.Bilingual(c.helps_with_sq, c.helps_with_en),
            c.country, tuple(contact_citations[c.key]), c.reviewed, c.review_by, phone=c.phone, url=c.url,
            city=c.city, tags=_split(c.tags))
        for c in _rows(session, schema.Contact, _placed(schema.Contact))}
    topics = {t.key: model.Topic(t.key, model.Bilingual(t.title_sq, t.title_en), t.button_order)
              for t in _rows(session, schema.Topic, _placed(schema.Topic))}
    examples: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"sq": [], "en": []})
    for row in _rows(session, schema.CardExample, (schema.CardExample.position,)):
        examples[row.card_key][row.language].append(row.text)
    card_citations: dict[str, list[model.Citation]] = defaultdict(list)
    for row in _rows(session, schema.CardSource, (schema.CardSource.position,)):
        card_citations[row.card_key].append(model.Citation(sources[row.source_key], row.passage))
    card_contacts: dict[str, list[model.Contact]] = defaultdict(list)
    for row in _rows(session, schema.CardContact, (schema.CardContact.position,)):
        card_contacts[row.card_key].append(contacts[row.contact_key])
    cards = tuple(
        model.Card(
            c.key, c.topic_key, c.subject, c.aspect, model.Bilingual(c.title_sq, c.title_en),
            model.Bilingual(c.answer_sq, c.answer_en), model.Bilingual(c.next_step_sq, c.next_step_en),
            {lang: tuple(texts) for lang, texts in examples[c.key].items()}, tuple(card_contacts[c.key]),
            tuple(card_citations[c.key]), c.reviewed, c.review_by, countries=_split(c.countries),
            where=c.where, review_note=c.review_note)
        for c in _rows(session, schema.Card, _placed(schema.Card)))
    return model.Snapshot(revision, cards, topics, contacts, sources)
