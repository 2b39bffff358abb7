"""Alembic environment, driven from ``storage.migrate`` (no alembic.ini).

``storage.migrate`` hands over an open connection in ``config.attributes["connection"]``;
without one, the URL in ``config.attributes["url"]`` (or ``sqlalchemy.url``) is used.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from storage.tables import metadata

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as the plain SQLAlchemy types they store, so migrations
    never import application code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _options() -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        # Batch operations are how ALTER works on SQLite; on PostgreSQL they are plain ALTERs.
        "render_as_batch": True,
        "compare_type": True,
        "render_item": render_item,
    }


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use storage.migrate")
    return str(url)


def run_offline() -> None:
    context.configure(url=_url(), literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_in(connection: Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    from storage.migrate import migration_engine

    engine = migration_engine(_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_in)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (connection := config.attributes.get("connection")) is not None:
    run_in(connection)
else:
    asyncio.run(run_online())
