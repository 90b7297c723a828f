"""Persistence: SQLAlchemy models (``models``), engine/session/locking (``db``), Alembic (``migrate``).

SQLite file under ``./data/`` by default, PostgreSQL when ``DATABASE_URL`` is set; the same code and the
same single migration serve both. Start at :mod:`bot.store.db` for the API the engine uses.
"""
