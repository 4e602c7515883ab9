"""Webhooks: every matching event POSTed to a URL, signed, in order, at least once.

Signing follows Standard Webhooks: ``webhook-id`` is the event id (receivers drop
repeats by it), ``webhook-timestamp`` the Unix time of the attempt, and
``webhook-signature`` is ``v1,`` + base64 of HMAC-SHA256 over ``id.timestamp.body``
keyed with the secret (``whsec_`` + base64 of the key bytes).

Delivery (``Deliverer``), any number of processes at once:

1. *queue*: in one write transaction, the events after each hook's cursor that match
   it become ``delivery`` rows and the cursor moves on (an event is owed once);
2. *claim*: in one write transaction, each hook's oldest undelivered event (only the
   oldest: per hook, events go out in order) is leased to this deliverer if its
   retry time has come and no live lease holds it;
3. *send* outside any transaction, then *record* the attempt in the log: delivered,
   or its next retry (exponential backoff) and one more consecutive failure. A hook
   reaching its ``max_failures`` is disabled and the admins are alerted.

A deliverer killed between claim and record loses nothing: its lease runs out
(timeout + ``LEASE_MARGIN``) and the event is sent again. A delivered event is
never sent again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, select

from prodboard.domain.audience import RULES
from prodboard.domain.describe import describe_event
from prodboard.domain.identity import admins
from prodboard.domain.text import clean_line
from prodboard.domain.values import EventView, event_from_row
from prodboard.errors import BadInput, Busy, NotFound
from prodboard.services.alerts import event_text
from prodboard.services.commands import Commands
from prodboard.storage import tables as m
from prodboard.storage import transfer_tables as t
from prodboard.storage.queries import row_dict
from prodboard.storage.store import meta_value

H, D, A = t.HOOKS, t.DELIVERIES, t.ATTEMPTS
E = m.EVENTS
FORMATS = ("json", "slack")
LEASE_MARGIN = 5.0  # seconds a lease outlives the request's timeout
QUEUE_BATCH = 1000
STAMP = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def stamp(when: float) -> str:
    """A UTC time as fixed-width ISO text, so times compare as text in SQL."""
    return datetime.fromtimestamp(when, UTC).strftime(STAMP)


# -- signing ------------------------------------------------------------------------------------
def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except ValueError:
            raise BadInput("--secret: after whsec_ comes base64") from None
    return secret.encode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# -- which events -----------------------------------------------------------------------------
def known_kinds() -> list[str]:
    return sorted({*RULES, "hook.disabled"})


def check_events(names: list[str]) -> list[str]:
    """The --events filter: kinds or their last part ("moved"); BadInput for others."""
    kinds = known_kinds()
    out = []
    for raw in names:
        name = clean_line(raw).lower()
        if not name:
            continue
        if not any(k == name or k.endswith("." + name) for k in kinds):
            short = sorted({k.split(".")[-1] for k in kinds})
            raise BadInput(f"--events: unknown event {name!r} (events: {', '.join(short)})")
        out.append(name)
    return list(dict.fromkeys(out))


def matches(kind: str, filters: list[str]) -> bool:
    return not filters or any(kind == f or kind.endswith("." + f) for f in filters)


def check_url(url: str) -> str:
    url = clean_line(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r} is not an http(s) URL")
    return url


# -- managing hooks -----------------------------------------------------------------------------
@dataclass(frozen=True)
class HookView:
    id: int
    url: str
    events: tuple[str, ...]
    format: str
    enabled: bool
    failures: int
    max_failures: int
    pending: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events), "format": self.format,
                "enabled": self.enabled, "failures": self.failures,
                "max_failures": self.max_failures, "pending": self.pending}


class Hooks:
    """Adding, listing, enabling and removing hooks: an admin's changes."""

    def __init__(self, board: Commands) -> None:
        self.board = board

    def add(self, url: str, events: list[str], secret: str | None, fmt: str,
            max_failures: int) -> tuple[int, str]:
        url = check_url(url)
        filters = check_events(events)
        if fmt not in FORMATS:
            raise BadInput(f"--format: use {' or '.join(FORMATS)}")
        key = secret or new_secret()
        if not secret_key(key):
            raise BadInput("--secret: empty")
        with self.board.store.write() as conn:
            self.board._require_actor(conn)
            self.board._admin_check(conn, "add webhooks")
            cursor = conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one()
            result = conn.execute(H.insert().values(
                url=url, events=filters, secret=key, format=fmt, max_failures=max_failures,
                cursor=int(cursor), created_at=stamp(time.time()), created_by=self.board.actor))
            key_id = result.inserted_primary_key
            assert key_id is not None
            return int(key_id[0]), key

    def _get(self, conn: Connection, hook_id: int) -> dict[str, Any]:
        row = conn.execute(select(H).where(H.c.id == hook_id)).first()
        if row is None:
            raise NotFound(f"no webhook {hook_id}")
        return row_dict(row)

    def remove(self, hook_id: int) -> str:
        with self.board.store.write() as conn:
            self.board._require_actor(conn)
            self.board._admin_check(conn, "remove webhooks")
            hook = self._get(conn, hook_id)
            conn.execute(D.delete().where(D.c.hook_id == hook_id))
            conn.execute(H.delete().where(H.c.id == hook_id))
            return str(hook["url"])

    def enable(self, hook_id: int) -> None:
        """Turn a disabled hook back on; what it missed is still owed."""
        with self.board.store.write() as conn:
            self.board._require_actor(conn)
            self.board._admin_check(conn, "enable webhooks")
            self._get(conn, hook_id)
            conn.execute(H.update().where(H.c.id == hook_id).values(enabled=True, failures=0))

    def all(self) -> list[HookView]:
        with self.board.store.read() as conn:
            pending: dict[int, int] = dict(conn.execute(select(D.c.hook_id, func.count()).where(
                D.c.delivered_at.is_(None)).group_by(D.c.hook_id)).tuples().all())
            return [HookView(r.id, r.url, tuple(r.events), r.format, bool(r.enabled), r.failures,
                             r.max_failures, int(pending.get(r.id, 0)))
                    for r in conn.execute(select(H).order_by(H.c.id))]

    def log(self, hook_id: int | None, limit: int) -> list[dict[str, Any]]:
        query = select(A).order_by(A.c.id.desc()).limit(limit)
        if hook_id is not None:
            query = query.where(A.c.hook_id == hook_id)
        with self.board.store.read() as conn:
            return [row_dict(r) for r in reversed(conn.execute(query).all())]


# -- delivering -----------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than 2xx: a failed attempt


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Claim:
    hook: dict[str, Any]
    event: EventView
    attempt: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None
    error: str
    ms: float


class Deliverer:
    """One deliverer process: queue, claim, send, record (see the module doc)."""

    def __init__(self, board: Commands, *, timeout: float = 10.0, retry_base: float = 5.0,
                 retry_max: float = 3600.0, name: str | None = None) -> None:
        self.board = board
        self.store = board.store
        self.timeout = timeout
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    # 1. queue
    def queue(self) -> int:
        queued = 0
        with self.store.write() as conn:
            for hook in conn.execute(select(H).where(H.c.enabled.is_(True))).all():
                events = conn.execute(select(E.c.id, E.c.kind).where(E.c.id > hook.cursor)
                                      .order_by(E.c.id).limit(QUEUE_BATCH)).all()
                if not events:
                    continue
                rows = [{"hook_id": hook.id, "event_id": eid, "next_at": ""}
                        for eid, kind in events if matches(kind, list(hook.events))]
                if rows:
                    conn.execute(D.insert(), rows)
                    queued += len(rows)
                conn.execute(H.update().where(H.c.id == hook.id).values(cursor=events[-1][0]))
        return queued

    # 2. claim
    def claim(self, after: int = 0) -> Claim | None:
        """Lease the next hook's due head event (hooks taken in turn, from after the one
        served last). One at a time: a lease is taken just before its send, so a slow
        receiver elsewhere cannot make it run out before the request even starts."""
        now = stamp(time.time())
        with self.store.write() as conn:
            hooks = conn.execute(select(H).where(H.c.enabled.is_(True)).order_by(H.c.id)).all()
            for hook in [h for h in hooks if h.id > after] + [h for h in hooks if h.id <= after]:
                head = conn.execute(select(D).where(D.c.hook_id == hook.id, D.c.delivered_at.is_(None))
                                    .order_by(D.c.event_id).limit(1)).first()
                if head is None or head.next_at > now or head.claimed_until > now:
                    continue
                lease = stamp(time.time() + self.timeout + LEASE_MARGIN)
                conn.execute(D.update().where(D.c.hook_id == hook.id, D.c.event_id == head.event_id)
                             .values(claimed_until=lease, claimed_by=self.name,
                                     attempts=head.attempts + 1))
                event = conn.execute(select(E).where(E.c.id == head.event_id)).first()
                if event is not None:
                    return Claim(row_dict(hook), event_from_row(event), head.attempts + 1)
        return None

    # 3. send
    def body(self, hook: dict[str, Any], event: EventView) -> bytes:
        wf = self.board.wf
        with self.store.read() as conn:
            board_name = meta_value(conn, "board_name", wf.name)
        if hook["format"] == "slack":
            payload: dict[str, Any] = {"text": f"[{board_name}] {event_text(event, wf)}"}
        else:
            payload = {"type": event.kind, "timestamp": event.at,
                       "data": {"board": board_name, "text": describe_event(event, wf),
                                "event": event.to_json()}}
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode()

    def send(self, claim: Claim) -> Outcome:
        body = self.body(claim.hook, claim.event)
        msg_id = str(claim.event.id)
        stamp_s = int(time.time())
        request = urllib.request.Request(claim.hook["url"], data=body, method="POST", headers={
            "content-type": "application/json", "user-agent": "prodboard-webhooks",
            "webhook-id": msg_id, "webhook-timestamp": str(stamp_s),
            "webhook-signature": signature(claim.hook["secret"], msg_id, stamp_s, body)})
        start = time.perf_counter()
        status: int | None = None
        error = ""
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                response.read(65536)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            error = clean_line(f"{type(reason).__name__}: {reason}")[:300]
        ms = (time.perf_counter() - start) * 1000
        ok = status is not None and 200 <= status < 300
        return Outcome(ok, status, "" if ok else (error or f"HTTP {status}"), ms)

    # 4. record
    def backoff(self, attempt: int) -> float:
        return float(min(self.retry_max, self.retry_base * 2 ** min(attempt - 1, 30)))

    def record(self, claim: Claim, outcome: Outcome) -> None:
        now = time.time()
        hook_id, event_id = claim.hook["id"], claim.event.id
        with self.store.write() as conn:
            conn.execute(A.insert().values(hook_id=hook_id, event_id=event_id, attempt=claim.attempt,
                                           at=stamp(now), status=outcome.status, ok=outcome.ok,
                                           error=outcome.error, ms=round(outcome.ms, 1)))
            hook = conn.execute(select(H).where(H.c.id == hook_id)).first()
            if hook is None:  # removed meanwhile
                return
            where = (D.c.hook_id == hook_id) & (D.c.event_id == event_id)
            if outcome.ok:
                conn.execute(D.update().where(where).values(delivered_at=stamp(now), last_error="",
                                                            claimed_until=""))
                conn.execute(H.update().where(H.c.id == hook_id).values(failures=0))
                return
            conn.execute(D.update().where(where).values(
                next_at=stamp(now + self.backoff(claim.attempt)), claimed_until="",
                last_error=outcome.error))
            failures = hook.failures + 1
            conn.execute(H.update().where(H.c.id == hook_id).values(failures=failures))
            if failures >= hook.max_failures and hook.enabled:
                conn.execute(H.update().where(H.c.id == hook_id).values(enabled=False))
                self._alert_admins(conn, hook_id, hook.url, failures, outcome.error)

    def _alert_admins(self, conn: Connection, hook_id: int, url: str, failures: int, error: str) -> None:
        data = {"hook_id": hook_id, "url": url, "failures": failures, "error": error}
        eid = self.board._emit(conn, "hook.disabled", None, data, actor="prodboard")
        team = self.board._people(conn)
        rows = [{"event_id": eid, "person": who, "reason": "admin", "severity": "error"}
                for who in admins(team, self.board.wf)]
        if rows:
            conn.execute(m.RECIPIENTS.insert(), rows)

    # the loop
    def step(self) -> int:
        """Queue, then send what is due, hooks in turn, until nothing is; returns attempts."""
        self.queue()
        made = served = 0
        while (claim := self.claim(served)) is not None:
            self.record(claim, self.send(claim))
            served = claim.hook["id"]
            made += 1
        return made

    def owed(self) -> tuple[int, float | None]:
        """Undelivered events of enabled hooks, and the soonest time one may be sent."""
        with self.store.read() as conn:
            rows = conn.execute(select(D.c.next_at, D.c.claimed_until).join(H, H.c.id == D.c.hook_id)
                                .where(D.c.delivered_at.is_(None), H.c.enabled.is_(True))).all()
        if not rows:
            return 0, None
        soonest = min(max(a, b) for a, b in rows)
        when = datetime.fromisoformat(soonest).timestamp() if soonest else time.time()
        return len(rows), when

    def run(self, *, drain: bool = False, interval: float = 1.0) -> int:
        """Deliver until stopped (or, with ``drain``, until nothing is owed); returns attempts."""
        attempts = 0
        while True:
            try:
                made = self.step()
            except Busy:  # another writer held the lock too long: try again shortly
                time.sleep(interval)
                continue
            attempts += made
            if made:
                continue
            owed, soonest = self.owed()
            if drain and not owed and self._caught_up():
                return attempts
            wait = interval if soonest is None else max(0.01, min(interval, soonest - time.time()))
            time.sleep(wait if math.isfinite(wait) else interval)

    def _caught_up(self) -> bool:
        with self.store.read() as conn:
            last = conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one()
            behind = conn.execute(select(func.count()).select_from(H).where(
                H.c.enabled.is_(True), H.c.cursor < last)).scalar_one()
        return int(behind) == 0
