"""Schema migrations (Alembic), run from code: no alembic.ini to find or to get wrong.

`upgrade_schema` brings any store to the newest schema in place. A store made before the
migrations existed (tables created by `create_all`, no `alembic_version`) holds exactly the
schema of revision 0001, so it is stamped at 0001 first and then upgraded like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001"  # the schema that create_all made before there were migrations
_LEGACY_TABLES = frozenset({"sources", "topics", "facts", "milestones", "organisations", "store_info"})
# Two processes starting at once (the action server and `helpline kb import`) must not both
# create the tables: on PostgreSQL the upgrade holds this transaction-scoped advisory lock.
_PG_LOCK = 0x6B62_6D69  # "kbmi"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that runs the migrations on `connection` (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration a store is at (None: empty, or made before the migrations existed)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Creates or upgrades the store's tables in one transaction (`alembic upgrade head`)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        tables = set(inspect(connection).get_table_names())
        config = alembic_config(connection)
        if "alembic_version" not in tables and tables >= _LEGACY_TABLES:
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)
