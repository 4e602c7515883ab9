"""Opening a board for a person: where the database and config live, who is acting.

Nothing here runs at import time; the CLI and the tests call ``open_board``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from prodboard.config import load_config
from prodboard.config.ui import UISettings
from prodboard.domain.clock import Clock
from prodboard.domain.identity import admins, check_handle, normal_handle, not_on_board, unknown_person
from prodboard.domain.text import has_surrogates
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput, NotFound, Refused
from prodboard.services import recipients
from prodboard.services.commands import Commands
from prodboard.services.demo import load_demo
from prodboard.settings import current as current_settings
from prodboard.settings import system_clock
from prodboard.storage.queries import Queries
from prodboard.storage.store import Store, is_postgres_url, open_store, remove_board


def default_db_path() -> Path:
    return Path(user_data_dir("prodboard", appauthor=False)) / "board.db"


def default_user() -> str:
    import getpass  # (termios) only without --user

    try:
        return getpass.getuser().lower()
    except (KeyError, OSError):
        return "me"


@dataclass(frozen=True)
class ConfigFiles:
    """The two config files: the team's (workflow, rules, default keys) and the
    person's own (keys, theme, notifications; it wins over the team's defaults)."""

    team: Path | None
    personal: Path | None


def find_config(db: Path | None, explicit: Path | None) -> ConfigFiles:
    """Team file: --config / PRODBOARD_CONFIG, else prodboard.toml beside the board
    (a board on a server has no "beside": ``db`` is None).
    Personal file: PRODBOARD_USER_CONFIG, else prodboard.toml in the user config dir.
    Both apply; a file found as both is the team's."""
    settings = current_settings()
    team = explicit or settings.config_path
    if team is None and db is not None and (db.parent / "prodboard.toml").is_file():
        team = db.parent / "prodboard.toml"
    personal = settings.user_config_path  # named: a missing file is an error
    if personal is None:
        mine = personal_config_path()
        personal = mine if mine.is_file() else None
    if personal is not None and team is not None and _same_file(personal, team):
        personal = None
    return ConfigFiles(team, personal)


def personal_config_path() -> Path:
    """Where the person's own file is, or would be: PRODBOARD_USER_CONFIG, else
    prodboard.toml in the user config dir (what the settings screen writes)."""
    named = current_settings().user_config_path
    return named or Path(user_config_dir("prodboard", appauthor=False)) / "prodboard.toml"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


@dataclass
class Workspace:
    """An open board: the store, its workflow, and the acting person's commands."""

    store: Store
    workflow: Workflow
    board: Commands
    queries: Queries
    config_path: Path | None  # the team file
    created: bool = False
    ui: UISettings = field(default_factory=UISettings)  # keys, theme, notify (both files)
    personal_config: Path | None = None
    note: str = ""  # something the person should be told on opening (a demo was made)

    @property
    def user(self) -> str:
        return self.board.actor

    def require_member(self) -> None:
        """Refuse someone not on the board (a guest may read, nothing more)."""
        team = self.queries.people()
        if not any(p.handle == self.user for p in team):
            raise not_on_board(self.user, [p.handle for p in team], admins(team, self.workflow))

    def close(self) -> None:
        self.store.close()


def open_board(
    db: Path | str | None = None,
    user: str | None = None,
    *,
    config: Path | None = None,
    create: bool = False,
    demo: bool = False,
    demo_if_missing: bool = False,
    clock: Clock = system_clock,
    newcomer: bool = False,
    server_board: str | None = None,
) -> Workspace:
    """Open the board at ``db`` (a file, default the user's data dir, or a
    ``postgresql://`` URL) as ``user``.

    ``create`` makes a new board (with the demo content if ``demo``); a board that
    fails half-way is removed. ``demo_if_missing`` is for the bare ``prodboard`` only:
    a newcomer's first board on the default path is the demo, and ``note`` says so.

    ``user`` (``--user``/``PRODBOARD_USER``) must name someone on the board, unless
    ``newcomer`` (``join``, ``init``); without it the OS login acts, and a login not on
    the board is a guest who may read but not write. The creator of a new board is
    its first admin (the demo's lead for the demo). ``server_board`` (``--board``) picks one
    of the boards on a PostgreSQL server.
    """
    current_settings()  # a bad PRODBOARD_* setting stops us before anything is touched
    remote = is_postgres_url(db)  # a postgresql:// URL: a board on a server, no file
    path = Path(db).expanduser() if db and not remote else default_db_path()
    location: Path | str = str(db) if remote else path
    note = ""
    if db is None and demo_if_missing and not path.exists():
        create = demo = True
        note = f"no board at {path} yet: created the demo board there (prodboard init makes an empty one)"
    if db is None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    raw = user or default_user()
    if has_surrogates(raw):
        raise BadInput("the user name is not valid UTF-8")
    if newcomer and (not demo or (not remote and path.exists())):
        check_handle(raw, "user name")  # joining, or creating a board it founds: refuse first
    handle = normal_handle(raw)
    if not handle:
        raise BadInput("the user name is empty")
    files = find_config(None if remote else path, config)
    loaded = load_config(files.team, files.personal)  # each file read once
    workflow, ui = loaded.workflow, loaded.ui
    if server_board is not None and not remote:
        raise BadInput("--board picks a board on a PostgreSQL server; a board file holds one board")
    store, created = open_store(location, create=create, board_name=workflow.name,
                                board=server_board)
    recipients.backfill_pending(store, workflow)  # once, after the schema 3 migration
    if store.login is not None and not created:
        handle = _database_identity(store, workflow, handle, named=bool(user))
    board = Commands(store, workflow, handle, clock)
    if created and demo:
        try:
            load_demo(board)
            if note:  # the bare command's own trial board: its person is on the team
                board, note = _join_trial_demo(board, note)
        except BaseException:
            store.close()
            remove_board(location, server_board)  # no half-made board
            raise
    elif created:
        board.found()
    session = Workspace(store, workflow, board, Queries(store, workflow), files.team, created, ui,
                      files.personal, note)
    if user and not (created or newcomer):
        _require_named(session)
    return session


def _join_trial_demo(board: Commands, note: str) -> tuple[Commands, str]:
    """The demo made by a bare ``prodboard`` is that person's trial board: its lead adds
    them as an admin editor so every action can be tried (a handle the rule refuses
    acts as the lead instead)."""
    team = Queries(board.store, board.wf).people()
    lead_handle = next(p.handle for p in team if set(p.roles) & set(board.wf.admin_roles))
    try:
        handle = check_handle(board.actor)
    except BadInput:
        handle = lead_handle
    if handle == lead_handle:
        lead = Commands(board.store, board.wf, lead_handle, board.clock)
        return lead, f"{note}; you act as its lead {handle}"
    if handle not in {p.handle for p in team}:
        lead = Commands(board.store, board.wf, lead_handle, board.clock)
        lead.add_person(handle, handle, [board.wf.admin_roles[0], "editor"])
    return Commands(board.store, board.wf, handle, board.clock), f"{note}; you are on it as {handle}"


def _database_identity(store: Store, wf: Workflow, handle: str, *, named: bool) -> str:
    """On a server where people log in with their own roles, the login is who acts.

    When the authenticated database user (``current_user``) is a person on the board,
    that person acts and ``--user`` naming anyone else is refused; a login that is no
    one on the board (a shared or admin login) leaves ``--user`` / the OS login in
    charge, as on a file."""
    login = normal_handle(store.login or "")
    if not login or login == handle:
        return handle
    if login not in {p.handle for p in Queries(store, wf).people()}:
        return handle
    if named:
        store.close()
        raise Refused(f"--user {handle}: you are logged in to the database as {login}, who is on "
                      f"the board; you act as {login} (leave out --user)")
    return login


def _require_named(session: Workspace) -> None:
    """A named user must be on the board: a typo is an error naming the closest handles."""
    known = [p.handle for p in session.queries.people()]
    if session.user not in known:
        session.close()
        err = unknown_person(session.user, known, "--user names someone on the board")
        raise NotFound(f"--user/PRODBOARD_USER: {err.message}")
