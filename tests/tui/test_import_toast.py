"""An import on someone else's board is one toast there, not one per piece."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from prodboard.services.context import Workspace
from prodboard.tui.app import make_app

from .helpers import shown_alerts, until

SIZE = (120, 35)


async def test_an_import_is_one_toast_on_another_board(board_db: Path, tmp_path: Path,
                                                       open_as: Callable[..., Workspace]) -> None:
    app = make_app(open_as("chloe"), live=True)
    alerts = shown_alerts(app, time_alerts=False)
    rows = "".join(f"Imported {i},ideas,chloe\r\n" for i in range(60))
    source = tmp_path / "work.csv"
    source.write_text("title,stage,owner\r\n" + rows, encoding="utf-8")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        before = len(app.model.columns["ideas"])
        proc = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "prodboard", "--db", str(board_db), "--user", "ana", "import",
            str(source)], capture_output=True, text=True, timeout=120, env=os.environ.copy())
        assert proc.returncode == 0, proc.stderr
        await until(pilot, lambda: len(app.model.columns["ideas"]) == before + 60)
        await pilot.pause(0.3)
        assert len(alerts) == 1, [a.text for a in alerts]
        assert "ana" in alerts[0].text and "60" in alerts[0].text
        assert len(alerts[0].event_ids) == 60
