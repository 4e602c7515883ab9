"""What ``prodboard info`` reports: version, where everything is, who acts, how big."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from sqlalchemy import func, select

from prodboard import __version__
from prodboard.services.context import Workspace
from prodboard.settings import current as current_settings
from prodboard.storage import tables as m
from prodboard.storage import transfer_tables as t

COUNTED = {"people": m.PEOPLE, "pieces": m.PIECES, "comments": m.COMMENTS, "events": m.EVENTS,
           "hooks": t.HOOKS}


def gather(s: Workspace) -> dict[str, Any]:
    store = s.store
    sqlite = store.kind == "sqlite"
    details = store.details()
    team_search = [os.environ.get("PRODBOARD_CONFIG") or "--config / PRODBOARD_CONFIG"]
    if sqlite:  # a board on a server has no folder to look beside
        team_search.append(str(Path(details["path"]).parent / "prodboard.toml"))
    personal_search = [os.environ.get("PRODBOARD_USER_CONFIG") or "PRODBOARD_USER_CONFIG",
                       str(Path(user_config_dir("prodboard", appauthor=False)) / "prodboard.toml")]
    schema = store.schema_version()
    with store.read() as conn:
        counts = {name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                  for name, table in COUNTED.items()}
        archived = int(conn.execute(select(func.count()).where(m.PIECES.c.archived.is_(True)))
                       .scalar_one())
    me = s.queries.person(s.user)
    settings = current_settings()
    board: dict[str, Any] = {"kind": store.kind, "location": store.location,
                             "name": s.queries.board_name(), "read_only": store.readonly,
                             "schema": schema, **details}
    if sqlite:
        watcher = settings.watch
        mode = "watcher + poll" if watcher else "poll only (PRODBOARD_WATCH=0)"
    else:
        watcher = False
        mode = "LISTEN/NOTIFY + poll"
    return {
        "version": __version__,
        "board": board,
        "config": {"team": str(s.config_path) if s.config_path else None, "team_search": team_search,
                   "personal": str(s.personal_config) if s.personal_config else None,
                   "personal_search": personal_search},
        "data_dir": user_data_dir("prodboard", appauthor=False),
        "user": {"handle": s.user, "on_board": me is not None,
                 "roles": list(me.roles) if me else []},
        "counts": {**counts, "archived": archived},
        "live": {"watcher": watcher, "poll_seconds": settings.poll_interval, "mode": mode},
    }


def lines(info: dict[str, Any]) -> list[str]:
    b, c, u, n = info["board"], info["config"], info["user"], info["counts"]
    ro = " (read-only)" if b["read_only"] else ""
    return [
        f"prodboard {info['version']}",
        f"board:      {b['location']}{ro}  ({b['name']})",
        f"schema:     {b['schema']}    " + (
            f"size: {b['bytes']:,} bytes (with -wal, -shm)" if b["kind"] == "sqlite"
            else f"on PostgreSQL, board schema {b['board_schema']!r}, as {b['login']}"),
        f"counts:     {n['pieces']} pieces ({n['archived']} archived), {n['people']} people, "
        f"{n['comments']} comments, {n['events']} events, {n['hooks']} hooks",
        f"team config:     {c['team'] or 'none'}  (looked for: {'; '.join(c['team_search'])})",
        f"personal config: {c['personal'] or 'none'}  (looked for: {'; '.join(c['personal_search'])})",
        f"data dir:   {info['data_dir']}",
        f"acting as:  {u['handle']}" + ("" if u["on_board"] else "  (not on the board: a guest)"),
        f"live:       {info['live']['mode']}, poll every {info['live']['poll_seconds']:g} s",
    ]
