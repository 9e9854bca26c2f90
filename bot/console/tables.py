"""The console's tables, in the project's database (HELPLINE_DB_URL), beside the knowledge store.

- `console_operators`: accounts; only an argon2 hash of each password;
- `console_sessions`: signed-in browsers; only a SHA-256 of each session token, so a copy of
  the database signs nobody in; and the language the operator reads the console in;
- `console_failures`: failed sign-ins per account and per address, for the slow-down and lock;
- `console_audit`: who signed in, opened, took, released or closed which handoff, and when;
  never a message's text;
- `console_outcomes`: the optional structured outcome of a call (topic, language, referred to),
  never notes of what was said.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.engine import Engine

from bot import database

metadata = MetaData()
OPERATORS = Table("console_operators", metadata,
                  Column("name", String(64), primary_key=True),
                  Column("role", String(16), nullable=False),
                  Column("password_hash", String(255), nullable=False),
                  Column("disabled", Boolean, nullable=False, default=False),
                  Column("created_at", Float, nullable=False))
SESSIONS = Table("console_sessions", metadata,
                 Column("token_hash", String(64), primary_key=True),
                 Column("operator", String(64), nullable=False, index=True),
                 Column("csrf", String(64), nullable=False),
                 Column("created_at", Float, nullable=False),
                 Column("last_seen", Float, nullable=False, index=True),
                 Column("language", String(2)))
FAILURES = Table("console_failures", metadata,
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("key", String(128), nullable=False, index=True),
                 Column("at", Float, nullable=False, index=True))
AUDIT = Table("console_audit", metadata,
              Column("id", Integer, primary_key=True, autoincrement=True),
              Column("at", Float, nullable=False, index=True),
              Column("operator", String(64), nullable=False),
              Column("action", String(32), nullable=False),
              Column("handoff_id", String(128)))
OUTCOMES = Table("console_outcomes", metadata,
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("at", Float, nullable=False, index=True),
                 Column("operator", String(64), nullable=False),
                 Column("topic", String(64)),
                 Column("language", String(2)),
                 Column("referred_to", String(80)))


# Columns added after the first release: create_all makes missing tables, not missing columns.
ADDED_COLUMNS = ((SESSIONS, "language", "VARCHAR(2)"),)


def engine_for(url: str | None = None) -> Engine:
    """An engine on the project's database with the console's tables created, and the columns
    added since a database was made added to it (nullable, so every existing row stays valid)."""
    engine = database.engine_for(metadata, url)
    for table, column, sql_type in ADDED_COLUMNS:
        if column not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
            with engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column} {sql_type}"))
    return engine
