"""Every command of the root group: the module that defines it and its short help.

The root group lists, helps and completes command names from this table, so
``prodboard --help``, ``--version`` and tab completion import no command module
(and none of SQLAlchemy, pydantic or the services they bring). A module is imported
when one of its commands runs or is completed, and registers its commands then.
``tests/test_cli_startup.py`` fails, naming the entry, when this table and the
modules disagree: a new command is added here too.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    module: str  # under prodboard.cli
    help: str  # the command's short help, as click makes it from the docstring


COMMANDS: dict[str, Entry] = {
    "add": Entry("pieces", "Add a piece; prints its id."),
    "approve": Entry("review", "Approve a piece in review (moves it on), or your track of it."),
    "archive": Entry("pieces", "Archive a piece."),
    "assign": Entry("pieces", "Give a piece to USER ('me' for yourself, '-' for nobody)."),
    "backup": Entry("transfer", (
        "A consistent, verified copy of the board while it is open (SQLite backup API; a board on "
        "PostgreSQL: use export, or pg_dump).")),
    "calendar": Entry("calendar", (
        "The agenda: one line per piece and day (publish and due dates), with warnings, then the "
        "pieces still to be scheduled.")),
    "check": Entry("inbox", "Raise the time-based alerts now due (overdue, due soon, review SLA, at risk)."),
    "comment": Entry("pieces", (
        "Comment on a piece ('-' reads the text from stdin); @handle and @role mention.")),
    "edit": Entry("pieces", "Edit fields of a piece (--title, --due, --audience, …)."),
    "export": Entry("transfer", (
        "Export the board (JSON: people, pieces, comments, ticks, cursors, history).")),
    "hooks": Entry("hooks", "Signed webhooks: add, ls, rm, enable, log, and run (the deliverer)."),
    "ical": Entry("calendar", (
        "The editorial calendar as an iCalendar (.ics) file: publish and due dates as all-day "
        "events.")),
    "import": Entry("transfer", (
        "Import pieces from a CSV file, a prodboard JSON export or a Trello board export.")),
    "inbox": Entry("inbox", "Your inbox, oldest first: each item's id, read mark, kind and what happened."),
    "info": Entry("transfer", (
        "Version, board location and size, config files, data dir, who acts, live mode.")),
    "init": Entry("board", "Create the board database (empty, or with --demo the demo team and pieces)."),
    "join": Entry("people", "Join the board as yourself (your OS login, or --user), with no roles yet."),
    "log": Entry("inbox", "The event stream, oldest first."),
    "ls": Entry("pieces", "List pieces in board order (--owner me: yours)."),
    "migrate": Entry("migrate", (
        "Copy this board (every table, ids kept) to another file or PostgreSQL board.")),
    "move": Entry("pieces", "Move a piece to STAGE; exits 1 with the reason when a rule refuses."),
    "people": Entry("people", "List the team, or manage it (add, away, back, set; see also: join)."),
    "reassign": Entry("tracks", (
        "Give the ROLE review track of a piece to USER (the track's reviewer, or a manager or "
        "admin, may).")),
    "reject": Entry("review", "Reject a piece: archive it with a reason."),
    "report": Entry("report", (
        "The team's figures, replayed from the history: velocity, cycle and lead time, time in "
        "stage, revisions, on-time delivery, review, cost, load, errors, flow.")),
    "request-changes": Entry("review", "Send a piece in review back to draft: one revision round."),
    "restore": Entry("transfer", (
        "Bring an archived piece back (TARGET a piece id), or restore the board from a backup file "
        "(TARGET a file made by `prodboard backup`).")),
    "reviews": Entry("tracks", "A piece's review tracks: reviewer, decision, time waited and left."),
    "show": Entry("pieces", "Show a piece with its comments and full history."),
    "tick": Entry("pieces", (
        "Tick a pre-publish checklist item (brand_voice, seo, legal, channels, analytics).")),
    "watch": Entry("inbox", "Watch a piece (hear about its changes), or stop with --off."),
}
