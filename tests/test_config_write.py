"""Saving settings into the person's own file: comments, layout and every other key
kept byte for byte; an invalid file never overwritten; an unwritable folder refused
in one line with nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from prodboard.config import ConfigError, load_ui
from prodboard.config.write import HEADER, save_personal

MINE = """\
# my own settings — keep this comment
[keys]
quit = "ctrl+q"   # aligned on purpose
inbox = "i,f2"

[notify]
# quieter toasts
toast_seconds = 4.5
bell = true

[theme]
name = "nord"  # the night one
"""


def test_only_the_changed_keys_change(tmp_path: Path) -> None:
    path = tmp_path / "prodboard.toml"
    path.write_text(MINE)
    path.chmod(0o640)
    save_personal(path, {("notify", "bell"): False, ("notify", "desktop"): ["mention", "team"],
                         ("theme", "name"): "gruvbox"})
    text = path.read_text()
    assert text == MINE.replace("bell = true", 'bell = false\ndesktop = ["mention", "team"]') \
        .replace('name = "nord"', 'name = "gruvbox"')
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    ui = load_ui(None, path)
    assert (ui.theme, ui.notify.bell, ui.notify.desktop) == ("gruvbox", False, ("mention", "team"))
    assert ui.keys == {"quit": "ctrl+q", "inbox": "i,f2"} and ui.notify.toast_seconds == 4.5


def test_a_missing_file_is_made_with_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "prodboard.toml"
    save_personal(path, {("theme", "name"): "nord"})
    assert path.read_text() == HEADER + '\n[theme]\nname = "nord"\n'
    assert load_ui(None, path).theme == "nord"


def test_a_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "prodboard.toml"
    real.parent.mkdir()
    real.write_text(MINE)
    link = tmp_path / "prodboard.toml"
    link.symlink_to(real)
    save_personal(link, {("theme", "name"): "monokai"})
    assert link.is_symlink() and 'name = "monokai"' in real.read_text()


@pytest.mark.parametrize(("text", "why"), [
    ("[notify\nbell = true\n", ":1: invalid TOML"),
    ("[notify]\nbell = \"loud\"\n", ":2: notify.bell: expected true or false"),
    ("[notfy]\nbell = true\n", ":1: notfy: unknown section"),
])
def test_an_invalid_file_is_not_overwritten(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "prodboard.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=why):
        save_personal(path, {("theme", "name"): "nord"})
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["prodboard.toml"]  # no temporary left


# Everything imported first (the interpreter lives under /root), then another uid.
_AS_USER = """
import os, sys, encodings.idna, tomllib
from pathlib import Path
from prodboard.config.write import save_personal
from prodboard.errors import ConfigError
os.setgroups([]); os.setgid(47013); os.setuid(47013)
try:
    save_personal(Path(sys.argv[1]), {("theme", "name"): "nord"})
except ConfigError as exc:
    print(exc.message)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="meeting real permissions needs another uid")
def test_a_folder_i_cannot_write_is_refused_and_nothing_changes() -> None:
    top = Path(tempfile.mkdtemp(prefix="prodboard-cfg-", dir="/tmp"))  # tmp_path is root's
    try:
        top.chmod(0o755)  # others may enter, not create
        path = top / "prodboard.toml"
        path.write_text(MINE)
        path.chmod(0o666)  # the file is writable, its folder is not: no temporary can be made
        proc = subprocess.run([sys.executable, "-c", _AS_USER, str(path)], capture_output=True,
                              text=True, timeout=60,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stdout.strip() == (f"{path}: cannot save settings (Permission denied); "
                                       "nothing was changed")
        assert path.read_text() == MINE and os.listdir(top) == ["prodboard.toml"]
    finally:
        shutil.rmtree(top, ignore_errors=True)
