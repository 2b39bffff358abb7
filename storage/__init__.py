"""Storage: SQLAlchemy tables and mapping, engines, the SQL unit of work, migrations.

- ``storage.db.Database.connect(url)``: engines for ``sqlite[+aiosqlite]:///file.db`` (WAL,
  writers on ``BEGIN IMMEDIATE``) or ``postgresql[+asyncpg]://...``; ``database.uow`` is the
  core's ``UnitOfWorkFactory``; ``await database.dispose()`` at the end.
- ``storage.migrate.upgrade(url)`` (async) / ``upgrade_sync(url)``: Alembic, no alembic.ini.
- ``storage.tables``: the schema (``metadata``, one ``Table`` per entity) and
  ``map_entities()``, the imperative mapping of ``core.model``'s dataclasses.
- ``storage.uow.SqlUnitOfWork``: on commit, the fan-out writes the events' ``deliveries`` rows
  in the same transaction (that table is the outbox); ``storage.delivery_queue``: the worker's
  claims, fenced by a token, and results.
"""
