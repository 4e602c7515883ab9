"""Who may act: the one handle rule, admins, and the errors that name the closest handles.

A handle is what a person types after ``--user`` and after ``@`` in a comment, so
one rule holds everywhere a handle is made (``people add``, ``join``, ``init``):
ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a letter and ending
with a letter or digit (the shape an @mention can reach), at most 32 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prodboard.domain.text import clean_line
from prodboard.domain.values import PersonView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput, NotFound, Refused

HANDLE_MAX = 32
_HANDLE = re.compile(r"[a-z](?:[a-z0-9._-]*[a-z0-9])?")


def normal_handle(raw: str) -> str:
    """How a typed handle is compared: one line, lower case, without a leading @."""
    return clean_line(raw).lower().lstrip("@")


def check_handle(raw: str, what: str = "handle") -> str:
    """``raw`` as a handle, or BadInput saying the rule (a control character makes a
    handle invalid rather than being dropped: it was not what anyone meant to type)."""
    handle = raw.strip().lower().lstrip("@")
    if not _HANDLE.fullmatch(handle) or len(handle) > HANDLE_MAX:
        raise BadInput(  # repr() shows any control character as an escape, never raw
            f"{handle!r} is not a valid {what} (letters, digits, . _ -; starting with a "
            f"letter, at most {HANDLE_MAX} characters)"
        )
    return handle


def closest(handle: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known handles nearest to ``handle`` (a typo's likely meaning), best first."""
    import difflib  # an error message's only: not on every command's start

    return difflib.get_close_matches(handle, sorted(known), n=n, cutoff=0.5)


def _hint(handle: str, known: Iterable[str]) -> str:
    near = closest(handle, known)
    return f"closest: {', '.join(near)}" if near else "see: prodboard people"


def unknown_person(
    handle: str, known: Iterable[str], then: str = "add them with: prodboard people add"
) -> NotFound:
    """The error for a handle that names nobody on the board."""
    return NotFound(f"unknown person {handle!r} ({_hint(handle, known)}; {then})")


def not_on_board(handle: str, known: Iterable[str], admins: Iterable[str]) -> NotFound:
    """The error for acting (or opening the board) as someone not on it."""
    known = list(known)
    who = ", ".join(sorted(admins)) or "an admin"
    return NotFound(
        f"{handle!r} is not on this board ({_hint(handle, known)}): act as one of its "
        f"people with --user HANDLE, join with 'prodboard join', or ask {who} to run "
        f"'prodboard people add {handle}'"
    )


def is_admin(person: PersonView | None, wf: Workflow) -> bool:
    return person is not None and bool(set(person.roles) & set(wf.admin_roles))


def admins(people: Iterable[PersonView], wf: Workflow) -> list[str]:
    return sorted(p.handle for p in people if is_admin(p, wf))


def need_admin(what: str, people: Iterable[PersonView], wf: Workflow) -> Refused:
    """The refusal for a change only an admin may make, naming who can."""
    roles = " or ".join(wf.admin_roles)
    who = ", ".join(admins(people, wf)) or "nobody yet"
    return Refused(f"only an admin ({roles} role) may {what} (admins: {who})")
