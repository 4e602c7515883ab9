"""Running the command line with a pseudo-terminal as stdin and stdout (the board
refuses to start without one)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time


def run_in_a_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin and stdout; return (code, stderr)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "prodboard", *args], stdin=slave,
                                stdout=slave, stderr=subprocess.PIPE, env=env)
    finally:
        os.close(slave)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    os.read(master, 65536)  # keep the terminal drained
                except OSError:
                    break
        code = proc.wait(timeout=max(1, deadline - time.monotonic()))
        assert proc.stderr is not None
        return code, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        os.close(master)


def stderr_on_a_terminal(args: list[str], env: dict[str, str],
                         timeout: float = 120) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (where progress bars are drawn);
    return (code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "prodboard", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave, env=env)
    finally:
        os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed its end
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        return proc.returncode, out.decode(), seen.decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
