"""Reading what a screen shows, cell by cell, for the hostile-text tests: the plain
text, and any click action or link that markup in someone's text could have made."""

from __future__ import annotations

from typing import Any

from prodboard.tui.app import ProdboardApp

# What a hostile colleague types into any field: markup tags, a click action, a link, a
# variable, and a terminal escape (OSC 52 writes the clipboard).
HOSTILE = (
    "[@click=app.pwned]x[/]",
    "[@click=app.quit]q[/]",
    "[bold]b[/bold]",
    "a[/]z",
    "[link=http://x]l[/link]",
    "$var",
)
OSC = "\x1b]52;c;aGk=\x07"


def screen_lines(app: ProdboardApp) -> list[str]:
    """The active screen's lines as a person sees them."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def active_cells(app: ProdboardApp) -> list[tuple[int, int, str]]:
    """(x, y, what) for every cell that carries a click action or a link."""
    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for seg in strip:
            style = seg.style
            if style is not None:
                action = style.meta.get("@click") if style._meta else None
                if action or style.link:
                    found.append((x, y, str(action or style.link)))
            x += seg.cell_length
    return found


def record_actions(app: ProdboardApp) -> list[str]:
    """Make ``app.pwned`` a real action that records when it runs."""
    fired: list[str] = []
    app.action_pwned = lambda: fired.append("pwned")  # type: ignore[attr-defined]
    return fired


async def assert_shown_literally(app: ProdboardApp, pilot: Any, *texts: str) -> None:
    """Each text appears as typed; no cell is clickable into an action or a link, and
    clicking where one would be runs nothing; no escape byte reaches the screen."""
    lines = screen_lines(app)
    screen = "\n".join(lines)
    missing = [t for t in texts if t not in screen]
    assert not missing, f"not shown literally: {missing}\n{screen}"
    cells = active_cells(app)
    for x, y, _ in cells:
        await pilot.click(offset=(x, y))
        await pilot.pause()
    assert app.is_running, "a click in someone's text quit the board"
    assert cells == [], f"markup made clickable text: {cells}"
    assert "\x1b" not in screen and "\x07" not in screen
