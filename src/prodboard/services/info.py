"""What ``prodboard info`` reports: version, where everything is, who acts, how big."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from sqlalchemy import func, select

from prodboard import __version__
from prodboard.services.context import Workspace
from prodboard.settings import poll_interval, watch_enabled
from prodboard.storage import tables as m
from prodboard.storage import transfer_tables as t

COUNTED = {"people": m.PEOPLE, "pieces": m.PIECES, "comments": m.COMMENTS, "events": m.EVENTS,
           "hooks": t.HOOKS}


def _size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            total += os.stat(f"{path}{suffix}").st_size
        except FileNotFoundError:
            pass
    return total


def gather(s: Workspace) -> dict[str, Any]:
    path = s.store.path
    team_search = [os.environ.get("PRODBOARD_CONFIG") or "--config / PRODBOARD_CONFIG",
                   str(path.parent / "prodboard.toml")]
    personal_search = [os.environ.get("PRODBOARD_USER_CONFIG") or "PRODBOARD_USER_CONFIG",
                       str(Path(user_config_dir("prodboard", appauthor=False)) / "prodboard.toml")]
    with s.store.read() as conn:
        schema = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        counts = {name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                  for name, table in COUNTED.items()}
        archived = int(conn.execute(select(func.count()).where(m.PIECES.c.archived.is_(True)))
                       .scalar_one())
    me = s.queries.person(s.user)
    watcher = watch_enabled()
    return {
        "version": __version__,
        "board": {"path": str(path), "real_path": str(s.store.real_path), "name": s.queries.board_name(),
                  "read_only": s.store.readonly, "schema": schema, "bytes": _size(s.store.real_path)},
        "config": {"team": str(s.config_path) if s.config_path else None, "team_search": team_search,
                   "personal": str(s.personal_config) if s.personal_config else None,
                   "personal_search": personal_search},
        "data_dir": user_data_dir("prodboard", appauthor=False),
        "user": {"handle": s.user, "on_board": me is not None,
                 "roles": list(me.roles) if me else []},
        "counts": {**counts, "archived": archived},
        "live": {"watcher": watcher, "poll_seconds": poll_interval(),
                 "mode": "watcher + poll" if watcher else "poll only (PRODBOARD_WATCH=0)"},
    }


def lines(info: dict[str, Any]) -> list[str]:
    b, c, u, n = info["board"], info["config"], info["user"], info["counts"]
    ro = " (read-only)" if b["read_only"] else ""
    return [
        f"prodboard {info['version']}",
        f"board:      {b['path']}{ro}  ({b['name']})",
        f"schema:     {b['schema']}    size: {b['bytes']:,} bytes (with -wal, -shm)",
        f"counts:     {n['pieces']} pieces ({n['archived']} archived), {n['people']} people, "
        f"{n['comments']} comments, {n['events']} events, {n['hooks']} hooks",
        f"team config:     {c['team'] or 'none'}  (looked for: {'; '.join(c['team_search'])})",
        f"personal config: {c['personal'] or 'none'}  (looked for: {'; '.join(c['personal_search'])})",
        f"data dir:   {info['data_dir']}",
        f"acting as:  {u['handle']}" + ("" if u["on_board"] else "  (not on the board: a guest)"),
        f"live:       {info['live']['mode']}, poll every {info['live']['poll_seconds']:g} s",
    ]
