"""The hint for someone the board does not know: who they are, and how to pick one of
its people (a demo's, most often), shown once when the board opens."""

from __future__ import annotations

from prodboard.domain.values import PersonView

MOST_NAMED = 5  # people named in the hint; `prodboard people` lists them all


def guest_hint(user: str, people: list[PersonView], location: str) -> str | None:
    """None for someone on the board; else one paragraph for a toast."""
    if any(p.handle == user for p in people):
        return None
    named = ", ".join(f"{p.handle} ({', '.join(p.roles) or 'no role'})"
                      for p in people[:MOST_NAMED])
    more = f" and {len(people) - MOST_NAMED} more" if len(people) > MOST_NAMED else ""
    first = people[0].handle if people else "ana"
    return (f"You are {user!r}, who is not on this board: you may look, not change anything. "
            f"To act as one of its people, quit (q) and start prodboard --user {first} "
            f"(or set PRODBOARD_USER={first}). On it: {named}{more}. "
            f"To join as yourself: prodboard join. Board: {location}")
