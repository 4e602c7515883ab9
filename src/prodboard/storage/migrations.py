"""Schema steps every backend shares: the ones that only add tables.

A backend's own steps (SQLite's pending-recipients mark, for one) stay in its
schema module; these are merged into its MIGRATIONS.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from prodboard.storage import transfer_tables  # noqa: F401  (schema 5's tables, on METADATA)
from prodboard.storage.tables import METADATA


def add_tables(conn: Connection) -> None:
    """Create the tables a newer schema added; existing rows are untouched."""
    METADATA.create_all(conn, checkfirst=True)


# from-version -> what the step to from-version + 1 added
ADDED_TABLES: dict[int, str] = {
    3: "the review tracks",
    4: "import sources and webhooks (storage/transfer_tables.py)",
    5: "the figures' replay cache (filled on first use)",
    6: "per-item read marks of the inbox (tables.READ_ITEMS)",
}
TABLE_STEPS: dict[int, Callable[[Connection], None]] = dict.fromkeys(ADDED_TABLES, add_tables)
