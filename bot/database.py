"""The project's own database (HELPLINE_DB_URL): the engine the channel state, the live handoffs
and the console's tables share the set-up of."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url

from bot import settings


def _fast_sqlite(connection: Any, _record: Any) -> None:
    """WAL, and no fsync on every commit: 50 webhooks at once otherwise queue for seconds behind
    each other's commits, and sign-ins would wait behind the knowledge store's readers. A power
    cut may forget the last writes (a reply sent twice), never corrupt the file."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def engine_for(metadata: MetaData, url: str | None = None) -> Engine:
    """An engine on the database (HELPLINE_DB_URL unless given) with `metadata`'s tables created."""
    url = url or settings.database_url()
    sqlite = make_url(url).drivername.startswith("sqlite")
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:
        event.listen(engine, "connect", _fast_sqlite)
    metadata.create_all(engine, checkfirst=True)
    return engine
