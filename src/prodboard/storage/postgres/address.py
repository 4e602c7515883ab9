"""Where a PostgreSQL board lives: ``postgresql://[user@]host[:port]/dbname[?board=NAME]``.

One server (one database) holds several boards, one PostgreSQL *schema* per board:
board ``marketing`` is schema ``marketing``, its tables ``marketing.piece``,
``marketing.event``…, and its own event ids, sequences, triggers, lock and NOTIFY
channel. Boards never share a row, so isolating one (grants on its schema,
dropping it, backing it up with ``pg_dump -n``) is one schema's business. Without
``board=`` the board is ``prodboard``.

Parsing is pure (no driver): the front door asks ``is_postgres_url`` before the
driver is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from prodboard.errors import BadInput

DEFAULT_BOARD = "prodboard"
SCHEMES = ("postgresql://", "postgres://")
_BOARD = re.compile(r"[a-z][a-z0-9_]{0,47}")
_RESERVED = {"public", "information_schema"}


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.lower().startswith(SCHEMES)


def check_board_name(name: str) -> str:
    """A board name is its schema name: lower-case letters, digits and ``_``,
    starting with a letter, at most 48 characters, not a system schema."""
    if not _BOARD.fullmatch(name) or name in _RESERVED or name.startswith("pg_"):
        raise BadInput(
            f"board name {name!r}: use lower-case letters, digits and _, starting with a "
            "letter, at most 48 characters (not public, information_schema or pg_*)"
        )
    return name


@dataclass(frozen=True)
class Address:
    url: str  # for SQLAlchemy: postgresql+psycopg://…, without the board parameter
    dsn: str  # the same for libpq (the listener's own connection)
    board: str
    shown: str  # for people: no password
    host: str
    database: str


def parse(location: str, board: str | None = None) -> Address:
    """Split a board URL; ``board`` (``--board``) wins over ``?board=``. Raises
    BadInput with one line for a URL that cannot be a PostgreSQL board."""
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError as exc:
        raise BadInput(f"--db: not a valid PostgreSQL URL ({exc})") from None
    if parts.scheme.lower() not in ("postgresql", "postgres"):
        raise BadInput("--db: a PostgreSQL URL starts with postgresql://")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise BadInput("--db: name the database: postgresql://[user@]host[:port]/dbname")
    if parts.fragment:
        raise BadInput(f"--db: unexpected '#{parts.fragment}' in the URL")
    params = parse_qsl(parts.query, keep_blank_values=True)
    named = [v for k, v in params if k == "board"]
    if len(named) > 1:
        raise BadInput("--db: board= given more than once")
    name = check_board_name(board if board is not None else (named[0] if named else DEFAULT_BOARD))
    rest = urlencode([(k, v) for k, v in params if k != "board"])
    url = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, rest, ""))
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, rest, ""))
    host = parts.hostname or "localhost"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    netloc = f"{user}{host}" + (f":{port}" if port else "")
    shown = urlunsplit(("postgresql", netloc, parts.path, f"board={name}", ""))
    return Address(url, dsn, name, shown, host + (f":{port}" if port else ""), database)
