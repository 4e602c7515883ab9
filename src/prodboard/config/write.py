"""Saving settings into the person's own file: only the keys changed, set in place with
tomlkit, so its comments, order, layout and every other key stay byte for byte.

A file that does not load as it is now is never overwritten (the person fixes it
first; the error names its line). The new text is checked like a loaded file, then
replaces the old one in one rename, so a crash leaves one or the other, whole.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from prodboard.config import schema
from prodboard.config.source import Source
from prodboard.domain.text import clean_line
from prodboard.errors import ConfigError

HEADER = ("# prodboard: your own settings (keys, theme, notifications). The board's settings\n"
          "# screen writes here too, and keeps your comments.\n")

Change = tuple[str, str]  # (section, key)


def save_personal(path: Path, changes: Mapping[Change, Any]) -> None:
    """Set ``[section] key = value`` for each change in the personal file at ``path``
    (created, with its folder, if missing). Raises ConfigError, one line, and leaves
    the file as it was, when it is invalid now or cannot be written."""
    target = path.resolve()  # a symlinked file (a dotfiles repo) stays a symlink
    text = HEADER
    if target.exists():
        Source(target).validate(schema.PersonalFile)  # invalid: refused before any write
        text = _read(target)
    try:
        doc = tomlkit.parse(text)
        for (section, key), value in changes.items():
            table = doc.get(section)
            if table is None:
                table = tomlkit.table()
                doc[section] = table
            table[key] = value
        new = tomlkit.dumps(doc)
    except (TOMLKitError, TypeError) as exc:  # the file checked out: this is a bug of ours
        raise ConfigError(clean_line(f"{path}: cannot update the file ({exc})")) from None
    _replace(target, new, path)


def _read(target: Path) -> str:
    try:
        return target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(clean_line(f"{target}: cannot read config file ({exc.strerror})")) from None


def _replace(target: Path, text: str, shown: Path) -> None:
    """Write ``text`` beside ``target`` and rename it over it, keeping its mode."""
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".prodboard-", suffix=".toml", dir=target.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Source(tmp).validate(schema.PersonalFile)  # what we wrote loads, or nothing changes
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise ConfigError(clean_line(f"{shown}: cannot save settings ({exc.strerror or exc}); "
                                     "nothing was changed")) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
