"""The one typed Settings: every PRODBOARD_* variable, checked once, one line per mistake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from prodboard.errors import BadInput
from prodboard.settings import Settings, current


def test_defaults_when_nothing_is_set() -> None:
    s = Settings.from_env({})
    assert s == Settings()
    assert (s.busy_timeout_ms, s.poll_interval, s.check_interval, s.watch, s.now) == (
        5000, 1.0, 30.0, True, None)
    assert s.config_path is None and s.user_config_path is None


def test_every_variable_is_read() -> None:
    s = Settings.from_env({
        "PRODBOARD_DB": "/srv/b.db", "PRODBOARD_USER": "ana", "PRODBOARD_CONFIG": "/t.toml",
        "PRODBOARD_USER_CONFIG": "/me.toml", "PRODBOARD_BUSY_TIMEOUT_MS": "200",
        "PRODBOARD_POLL_INTERVAL": "0.5", "PRODBOARD_CHECK_INTERVAL": "2", "PRODBOARD_WATCH": "Off",
        "PRODBOARD_NOW": "2026-11-20T09:00:00Z",
    })
    assert (s.db, s.user, str(s.config_path), str(s.user_config_path)) == (
        "/srv/b.db", "ana", "/t.toml", "/me.toml")
    assert (s.busy_timeout_ms, s.poll_interval, s.check_interval, s.watch) == (200, 0.5, 2.0, False)
    pinned = datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert s.now == pinned and s.clock()() == pinned


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().watch = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("PRODBOARD_BUSY_TIMEOUT_MS", "1.5", "is not a whole number (use 0 to 600000 ms, or unset it)"),
        ("PRODBOARD_BUSY_TIMEOUT_MS", "-1", "is out of range (use 0 to 600000 ms)"),
        ("PRODBOARD_POLL_INTERVAL", "nan", "is out of range (use 0.05 to 60 s)"),
        ("PRODBOARD_CHECK_INTERVAL", "inf", "is out of range (use 0.05 to 86400 s)"),
        ("PRODBOARD_WATCH", "maybe", "is not a yes/no value (use 1 or 0)"),
        ("PRODBOARD_NOW", "garbage", "is not an ISO 8601 time"),
        ("PRODBOARD_NOW", "9999-12-31", "is out of range (years 1970-9000)"),
    ],
)
def test_a_bad_value_is_one_line_naming_it(name: str, value: str, why: str) -> None:
    with pytest.raises(BadInput) as exc:
        Settings.from_env({name: value})
    assert exc.value.message.startswith(f"{name}={value!r} {why}")
    assert "\n" not in exc.value.message


def test_a_path_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(BadInput, match="PRODBOARD_CONFIG is not valid UTF-8"):
        Settings.from_env({"PRODBOARD_CONFIG": "a\udcffb"})


def test_current_is_parsed_once_and_follows_a_changed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODBOARD_POLL_INTERVAL", "0.3")
    first = current()
    assert first is current() and first.poll_interval == 0.3
    monkeypatch.setenv("PRODBOARD_POLL_INTERVAL", "0.4")
    assert current().poll_interval == 0.4
