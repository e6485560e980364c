"""Alembic migrations of the operational database (run with ``arrears db upgrade``)."""
