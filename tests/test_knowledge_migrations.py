"""Schema migrations on SQLite and PostgreSQL: a new store, an old one upgraded in place."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from knowledge_support import empty_database
from sqlalchemy import MetaData, inspect, text

from bot.knowledge.migrations import BASELINE, alembic_config, current_revision, head_revision, upgrade_schema
from bot.knowledge.schema import Base
from bot.knowledge.store import KnowledgeStore


def schema_differences(store: KnowledgeStore) -> list:
    """What Alembic would still have to change to reach the models in schema.py."""
    with store.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def make_legacy_store(store: KnowledgeStore) -> None:
    """A store as the code before migrations left it: create_all's tables (= revision 0001,
    which these tests check), no alembic_version, and some content."""
    upgrade_schema(store.engine, BASELINE)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        tables = MetaData()
        tables.reflect(connection)
        connection.execute(tables.tables["sources"].insert(), [{
            "key": "old_source", "title_sq": "Burim i vjetër", "title_en": "Old source"}])
        connection.execute(tables.tables["topics"].insert(), [{
            "key": "old_topic", "title_sq": "Temë", "title_en": "Topic",
            "next_step_sq": "Hapi tjetër.", "next_step_en": "Next step."}])
        connection.execute(tables.tables["facts"].insert(), [{
            "key": "old_fact", "topic_key": "old_topic", "summary": True, "text_sq": "Fakt i vjetër.",
            "text_en": "An old fact.", "keywords_sq": "", "keywords_en": "", "source_key": "old_source",
            "reviewed": dt.date(2020, 1, 2)}])
        connection.execute(tables.tables["organisations"].insert(), [{
            "key": "old_org", "name_sq": "Zyra", "name_en": "Office", "helps_with_sq": "Ndihmë.",
            "helps_with_en": "Help.", "topics": "old_topic", "keywords_sq": "", "keywords_en": "",
            "source_key": "old_source", "reviewed": dt.date(2020, 1, 2)}])
        connection.execute(tables.tables["store_info"].insert(), [{"id": 1, "revision": 7}])


def test_a_new_store_is_created_at_the_newest_revision_matching_the_models(
        fresh_store: KnowledgeStore) -> None:
    assert current_revision(fresh_store.engine) is None
    fresh_store.upgrade()
    assert current_revision(fresh_store.engine) == head_revision()
    assert schema_differences(fresh_store) == []


def test_upgrading_twice_changes_nothing(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory()
    fresh_store.upgrade()
    fresh_store.upgrade()
    assert current_revision(fresh_store.engine) == head_revision()
    assert fresh_store.import_directory().unchanged


# The tables create_all made before there were migrations (the schema of that code, frozen).
LEGACY_COLUMNS = {
    "sources": {"key", "title_sq", "title_en", "url", "published"},
    "topics": {"key", "title_sq", "title_en", "next_step_sq", "next_step_en"},
    "facts": {"key", "topic_key", "summary", "text_sq", "text_en", "keywords_sq", "keywords_en", "source_key",
              "reviewed"},
    "milestones": {"key", "date", "topic_key", "text_sq", "text_en", "keywords_sq", "keywords_en", "source_key",
                   "reviewed"},
    "organisations": {"key", "name_sq", "name_en", "phone", "hours_sq", "hours_en", "url", "helps_with_sq",
                      "helps_with_en", "topics", "keywords_sq", "keywords_en", "source_key", "reviewed"},
    "store_info": {"id", "revision"},
}


def test_revision_0001_is_exactly_the_schema_create_all_made(fresh_store: KnowledgeStore) -> None:
    """The legacy stamp is safe only if 0001 creates what the old create_all created."""
    upgrade_schema(fresh_store.engine, BASELINE)
    columns = {t: {c["name"] for c in inspect(fresh_store.engine).get_columns(t)}
               for t in inspect(fresh_store.engine).get_table_names() if t != "alembic_version"}
    assert columns == LEGACY_COLUMNS
    indexes = {i["name"] for t in ("facts", "milestones") for i in inspect(fresh_store.engine).get_indexes(t)}
    assert indexes == {"ix_facts_topic_key", "ix_milestones_topic_key"}


def test_a_store_made_before_migrations_is_stamped_and_upgraded_in_place(
        fresh_store: KnowledgeStore) -> None:
    make_legacy_store(fresh_store)
    assert current_revision(fresh_store.engine) is None

    fresh_store.upgrade()

    assert current_revision(fresh_store.engine) == head_revision()
    assert schema_differences(fresh_store) == []
    # the fact tables are replaced by the card tables; the revision keeps counting up
    snapshot = fresh_store.snapshot()
    assert (snapshot.revision, snapshot.cards) == (7, ())
    assert "facts" not in inspect(fresh_store.engine).get_table_names()
    report = fresh_store.import_directory()
    assert report.added and not report.removed
    assert fresh_store.revision() == 8 and fresh_store.snapshot().cards


def test_the_card_migration_refuses_to_downgrade_and_changes_nothing(fresh_store: KnowledgeStore) -> None:
    fresh_store.import_directory()
    with fresh_store.engine.begin() as connection, pytest.raises(NotImplementedError, match="restore a backup"):
        command.downgrade(alembic_config(connection), "0003")
    assert current_revision(fresh_store.engine) == head_revision()
    assert fresh_store.import_directory().unchanged  # the content is all there


def test_the_fact_era_migrations_downgrade_and_upgrade_again(database_url: str) -> None:
    store = KnowledgeStore(database_url)
    try:
        upgrade_schema(store.engine, "0003")
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), BASELINE)
        assert current_revision(store.engine) == BASELINE
        assert "city" not in {c["name"] for c in inspect(store.engine).get_columns("organisations")}
        upgrade_schema(store.engine, "0003")
        assert {"city", "languages", "position"} <= {
            c["name"] for c in inspect(store.engine).get_columns("organisations")}
    finally:
        store.close()


def test_two_processes_upgrading_at_once_on_postgresql(tmp_path) -> None:
    """The action server and `helpline kb import` may both start on an empty database."""
    with empty_database("postgresql", tmp_path) as url:
        stores = [KnowledgeStore(url) for _ in range(4)]
        errors: list[BaseException] = []

        def upgrade(store: KnowledgeStore) -> None:
            try:
                store.upgrade()
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=upgrade, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for store in stores:
            store.close()
        assert errors == []
        assert current_revision(stores[0].engine) == head_revision()


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004"])
def test_every_migration_has_a_docstring_and_a_downgrade(revision: str) -> None:
    from alembic.script import ScriptDirectory

    from bot.knowledge.migrations import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision)
    assert script is not None and script.module.__doc__
    assert callable(script.module.downgrade)
