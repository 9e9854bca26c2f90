"""Retention of stored conversations (Rasa's SQL tracker store, table `events`).

Conversations about trafficking, debts and passports should not be kept longer than needed:
`helpline conversations purge` (run daily from cron) deletes every conversation whose last
message is older than N days, and `helpline conversations delete SENDER` removes one person's
conversation on request.

    # /etc/cron.d/helpline: every night at 03:15, keep 30 days
    15 3 * * *  helpline  cd /srv/helpline && .venv/bin/helpline conversations purge --older-than 30
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, delete, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import settings
from bot.handoff import HandoffStore
from bot.privacy import hash_sender, keyed_hash

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ROOT / "endpoints.yml"  # what scripts/run.sh gives Rasa; HELPLINE_ENDPOINTS overrides
DAY = 86_400.0
# Every channel of credentials.yml that stores conversations (each is its own namespace of sender
# ids, bot/privacy.py); tests/test_conversations.py keeps the two equal.
CHANNELS = ("rest", "socketio", "viber", "whatsapp", "messenger", "telegram", "twilio")

# The columns of Rasa's SQLTrackerStore that retention needs (rasa/core/tracker_store.py).
_metadata = MetaData()
EVENTS = Table("events", _metadata,
               Column("id", Integer, primary_key=True),
               Column("sender_id", String(255), nullable=False),
               Column("timestamp", Float))


def tracker_url(endpoints: Path | None = None) -> str:
    """The database of the tracker store Rasa uses, read from the same endpoints file (with its
    ${VAR} values), so that purge, delete and the widget's forget act on Rasa's conversations
    (a separate setting once let them delete from an empty SQLite file while the conversations
    stayed in PostgreSQL). A relative SQLite path is relative to the project folder, where
    scripts/run.sh runs Rasa. Raises LookupError when the file configures no SQL tracker store."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    path = settings.endpoints_file(endpoints or ENDPOINTS)
    config = read_endpoint_config(str(path), "tracker_store")
    options = config.kwargs if config else {}
    if config is None or not (options.get("dialect") or "://" in (config.url or "")):
        raise LookupError(f"{path}: no SQL tracker store (tracker_store with dialect or url), so "
                          "there are no stored conversations to delete")
    dialect, db = options.get("dialect") or "sqlite", str(options.get("db") or "rasa.db")
    if dialect == "sqlite" and not config.url and not Path(db).is_absolute():
        db = str(ROOT / db)
    url = SQLTrackerStore.get_db_url(dialect, config.url, options.get("port"), db, options.get("username"),
                                     options.get("password"), options.get("login_db"), options.get("query"))
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


def _engine(url: str | None) -> Engine:
    engine = create_engine(url or tracker_url(), future=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _zero_what_is_deleted(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA secure_delete=ON")  # freed pages are overwritten with zeros
    return engine


def _reclaim(engine: Engine, *, vacuum: bool) -> None:
    """After a deletion: SQLite's write-ahead log still holds the deleted rows' pages until a
    checkpoint, and the file keeps its size until a VACUUM; PostgreSQL keeps dead rows until
    its VACUUM. Best effort: a reader holding the log open only delays its truncation."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            if vacuum:
                connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif vacuum and engine.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM events")


def purge_older_than(days: float, url: str | None = None, now: float | None = None) -> int:
    """Deletes whole conversations whose latest event is older than `days`; returns how many."""
    cutoff = (time.time() if now is None else now) - days * DAY
    engine = _engine(url)
    with engine.begin() as connection:
        if not engine.dialect.has_table(connection, "events"):
            return 0
        stale = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(
            func.max(EVENTS.c.timestamp) < cutoff)
        senders = [row[0] for row in connection.execute(stale)]
        for chunk in range(0, len(senders), 500):
            connection.execute(delete(EVENTS).where(
                EVENTS.c.sender_id.in_(senders[chunk:chunk + 500])))
    if senders:
        _reclaim(engine, vacuum=True)
    return len(senders)


def stored_ids(sender_id: str, channels: Sequence[str] | None = None) -> list[str]:
    """The ids a sender's conversations are stored under on `channels`; None: on every channel,
    and as conversations were stored before each channel had its own (the id itself, then its
    hash without the channel), so a request to delete also reaches those."""
    if channels is not None:
        return [hash_sender(sender_id, channel) for channel in channels]
    return [sender_id, keyed_hash(sender_id), *(hash_sender(sender_id, channel) for channel in CHANNELS)]


def delete_conversation(sender_id: str, url: str | None = None, channels: Sequence[str] | None = None) -> int:
    """Deletes every stored event of one sender (given as the channel's sender id, which is
    stored hashed) on `channels` (None: all); returns the number of events removed. Its live
    handoffs are closed first and their addresses dropped, so an operator writing to it is told
    it is gone."""
    stored_as = stored_ids(sender_id, channels)
    HandoffStore().forget(stored_as)
    engine = _engine(url)
    with engine.begin() as connection:
        if not engine.dialect.has_table(connection, "events"):
            return 0
        deleted = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(stored_as))).rowcount
    if deleted:
        _reclaim(engine, vacuum=False)  # one person's request: out of the log now, no rewrite
    return deleted


app = typer.Typer(help="Stored conversations (retention).", no_args_is_help=True)
URL_OPTION = typer.Option("", help="Tracker store URL (default: the tracker store of endpoints.yml).")


def _or_exit(action: Callable[[], int]) -> int:
    """The count `action` returns, or a one-line reason and exit status 1: a deletion that
    could not reach the store must never look like "deleted 0"."""
    try:
        return action()
    except (LookupError, SQLAlchemyError) as error:
        typer.echo(f"error: the stored conversations could not be reached: {error}".splitlines()[0], err=True)
        raise typer.Exit(1) from error


@app.command()
def purge(older_than: float = typer.Option(30, help="Days since a conversation's last message."),
          url: str = URL_OPTION) -> None:
    """Delete conversations whose last message is older than --older-than days."""
    count = _or_exit(lambda: purge_older_than(older_than, url or None))
    typer.echo(f"deleted {count} conversation(s) older than {older_than:g} days")


@app.command("delete")
def delete_one(sender_id: str, url: str = URL_OPTION,
               channel: str = typer.Option("", help=f"Only this channel's ({', '.join(CHANNELS)}); "
                                                    "default: the sender's conversations on every channel.")) -> None:
    """Delete one person's conversation (by sender id: a phone number, a chat id, a session id)."""
    if channel and channel not in CHANNELS:
        typer.echo(f"error: unknown channel {channel!r}; one of {', '.join(CHANNELS)}", err=True)
        raise typer.Exit(2)
    count = _or_exit(lambda: delete_conversation(sender_id, url or None, [channel] if channel else None))
    typer.echo(f"deleted {count} event(s) of {sender_id}")
