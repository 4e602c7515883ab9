"""The replay cache's one row per key: read it, replace it (never on a read-only board)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from prodboard.storage import tables as m
from prodboard.storage.store import Store

C = m.REPLAY_CACHE


class Cached(NamedTuple):
    cursor: int
    fingerprint: str
    state: str


def read_cache(store: Store, key: str) -> Cached | None:
    with store.read() as conn:
        row = conn.execute(select(C.c.cursor, C.c.fingerprint, C.c.state)
                           .where(C.c.key == key)).first()
    return None if row is None else Cached(int(row[0]), str(row[1]), str(row[2]))


def write_cache(store: Store, key: str, cached: Cached) -> bool:
    """Replace the row, unless a later one, made the same way, is there already. False: not written
    (a read-only board)."""
    if store.readonly:
        return False
    with store.write() as conn:
        old = conn.execute(select(C.c.cursor, C.c.fingerprint).where(C.c.key == key)).first()
        if old is not None and old[1] == cached.fingerprint and int(old[0]) > cached.cursor:
            return True  # another board wrote a later replay: keep it
        conn.execute(C.delete().where(C.c.key == key))
        conn.execute(C.insert().values(key=key, cursor=cached.cursor,
                                       fingerprint=cached.fingerprint, state=cached.state))
    return True
