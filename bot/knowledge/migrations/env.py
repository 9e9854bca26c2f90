"""Alembic's entry point: migrates the connection that `upgrade_schema` hands over."""

from __future__ import annotations

from alembic import context

from bot.knowledge.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through bot.knowledge.migrations.upgrade_schema")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
