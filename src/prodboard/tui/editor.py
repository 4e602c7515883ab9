"""A field's text in the person's own editor: ``$VISUAL``, else ``$EDITOR``, run on a
temporary file while the app is suspended, the edited text read back.

Every way it can go wrong (no editor set, not found, a non-zero exit, an unreadable
file) is one ``EditorFailed`` line for a toast; the field keeps what it held.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

from prodboard.domain.text import clean_line


class EditorFailed(Exception):
    """Why the editor gave nothing back (one line, for a toast)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = clean_line(message)


def editor_command() -> list[str]:
    """The editor to run, as arguments (``code --wait`` works)."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError as exc:
                raise EditorFailed(f"${name} cannot be read ({exc}): {value!r}") from None
            if argv:
                return argv
    raise EditorFailed("No editor set: set $VISUAL or $EDITOR (export EDITOR=nano, for one) "
                       "and press the key again")


def edit_text(app: App[Any], text: str) -> str:
    """``text`` as the person left it in their editor (the trailing newline editors add
    is dropped). Raises EditorFailed; the temporary file is always removed."""
    argv = editor_command()
    fd, name = tempfile.mkstemp(prefix="prodboard-", suffix=".txt")  # 0600: only mine
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text if not text or text.endswith("\n") else text + "\n")
        code = _run(app, [*argv, name])
        if code != 0:
            raise EditorFailed(f"The editor ({argv[0]}) exited with status {code}: "
                               "the field is as it was")
        try:
            edited = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise EditorFailed(f"Cannot read back what the editor saved ({exc})") from None
        return edited[:-1] if edited.endswith("\n") else edited
    finally:
        path.unlink(missing_ok=True)


def _run(app: App[Any], argv: list[str]) -> int:
    """Run the editor with the terminal handed over to it. Where the app cannot let go
    of the terminal (a headless run), the editor runs without it: a graphical one
    (``code --wait``) works, a terminal one fails and says so."""
    failure: OSError | None = None
    code = -1
    try:
        with app.suspend():
            try:  # nothing may escape here, or the app would stay suspended
                code = subprocess.run(argv, check=False).returncode
            except OSError as exc:
                failure = exc
    except SuspendNotSupported:
        try:
            code = subprocess.run(argv, stdin=subprocess.DEVNULL, check=False).returncode
        except OSError as exc:
            failure = exc
    if failure is not None:
        why = "not found" if isinstance(failure, FileNotFoundError) else failure.strerror
        raise EditorFailed(f"The editor {argv[0]!r} cannot be run ({why}): set $VISUAL or "
                           "$EDITOR to one that is installed")
    return code
