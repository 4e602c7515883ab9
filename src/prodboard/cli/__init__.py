"""The command line: a thin face over the core. Its interface is a contract for scripts.

Exit codes: 0 done, 1 refused by a rule, a conflict or a busy board, 2 bad usage
or bad input. Errors are one line on stderr, never a traceback: the root group
(``cli.base.ProdboardGroup``) is the one place that turns errors into exit codes.
One module per area registers its commands on the group; the group imports a
module only when one of its commands is used (``cli/command_table.py``).
"""

from __future__ import annotations

import sys

from prodboard.cli.board import cli


def run(args: list[str]) -> int:
    """Run one command line and return its exit code; every error is one line on stderr.

    ``main`` calls it with sys.argv; the tests call it in-process.
    """
    return cli.run(args)


def main() -> None:
    """Console entry point."""
    sys.exit(run(sys.argv[1:]))


__all__ = ["cli", "main", "run"]
