"""Outbound webhooks (oms.outbound_webhooks): subscriptions made and removed, each domain event
fanned out to the subscriptions that want it (one delivery message each, so a failing subscriber
never holds back another), each delivery attempted, and the archive replayed for one subscription.

A replayed event carries the replay's name: it goes only to the subscription the replay was asked
for, and only when it happened inside the replay's window.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from oms.errors import BadRequest, NotFound
from oms.event_records import BusEvent
from oms.integrations.webhook_transport import DeliveryFailed, WebhookTransport
from oms.notifications import Alert
from oms.outbound_webhooks import (
    DELIVERY_ATTEMPTS,
    TIMEOUT_SECONDS,
    Delivery,
    ReplayWindow,
    Subscription,
    body,
    check_target,
    delivery_headers,
    matches,
    retry_delay,
)

ALERT_QUIET = timedelta(hours=6)
MAX_REPLAY = timedelta(days=30)  # the longest window (the archive keeps EventArchiveRetentionDays: 30)


class Subscriptions(Protocol):
    def create(self, subscription: Subscription, secret: str) -> None: ...
    def find(self, subscription_id: str) -> Subscription | None: ...
    def all(self) -> list[Subscription]: ...
    def secret(self, subscription_id: str) -> str | None: ...
    def record_attempt(
        self, subscription_id: str, *, ok: bool, code: str, at: datetime, dead: bool = False
    ) -> None: ...
    def raise_once(self, subscription_id: str, kind: str, *, now: datetime, quiet: timedelta) -> bool: ...
    def save_replay(self, window: ReplayWindow) -> None: ...
    def replay(self, name: str) -> ReplayWindow | None: ...


class Deliveries(Protocol):
    def send(self, deliveries: list[Delivery]) -> None: ...


class Replays(Protocol):
    def start(self, window: ReplayWindow) -> None: ...


@dataclass
class Attempt:
    outcome: str  # delivered | retry | dead | gone
    code: str
    retry_after: int = 0


def new_subscription(
    url: str, events: list[str], description: str | None, *, actor: str, now: datetime, key: str | None = None
) -> tuple[Subscription, str]:
    """A subscription (its URL checked: HTTPS, public) and its new signing secret; its id is made
    from ``key`` (an Idempotency-Key) when there is one, so a repeat finds it made."""
    try:
        checked = check_target(url)
    except ValueError as error:
        raise BadRequest(str(error), code="url_refused") from error
    subscription = Subscription(
        subscription_id="sub_" + (hashlib.sha256(key.encode()).hexdigest() if key else uuid.uuid4().hex)[:20],
        url=checked,
        events=events,
        description=description,
        created_at=now,
        created_by=actor,
    )
    return subscription, "whsec_" + secrets.token_urlsafe(32)


def start_replay(
    subscriptions: Subscriptions,
    replays: Replays,
    subscription_id: str,
    since: datetime,
    until: datetime | None,
    now: datetime,
) -> ReplayWindow:
    """The archive's events of a window (at most 30 days long; the archive keeps
    EventArchiveRetentionDays of them) sent again, to this subscription only."""
    if subscriptions.find(subscription_id) is None:
        raise NotFound(f"no subscription {subscription_id!r}", code="subscription_not_found")
    end = min(until or now, now)
    if since >= end or end - since > MAX_REPLAY:
        raise BadRequest(
            "a replay window ends after it starts, in the past, at most 30 days long", code="invalid_window"
        )
    window = ReplayWindow(
        name=f"oms-{subscription_id[-12:]}-{uuid.uuid4().hex[:12]}",
        subscription_id=subscription_id,
        since=since,
        until=end,
    )
    subscriptions.save_replay(window)  # before the replay: its events must find it
    replays.start(window)
    return window


class Outbound:
    def __init__(
        self,
        subscriptions: Subscriptions,
        deliveries: Deliveries,
        transport: Callable[[], WebhookTransport],
        alert: Callable[[Alert], None],
    ) -> None:
        self.subscriptions, self.deliveries, self.transport = subscriptions, deliveries, transport
        self.alert = alert

    # ----------------------------------------------------------------- fanning out
    def dispatch(self, events: Iterable[BusEvent]) -> int:
        """Every event to each subscription that wants it (a replayed one: to the replay's)."""
        wanted: list[Delivery] = []
        subscriptions: list[Subscription] | None = None
        for event in events:
            replay = event.replay_name
            if replay:
                window = self.subscriptions.replay(replay)
                if window is None or not (window.since <= event.time <= window.until):
                    continue
                found = self.subscriptions.find(window.subscription_id)
                targets = [found] if found is not None else []
            else:
                subscriptions = self.subscriptions.all() if subscriptions is None else subscriptions
                targets = subscriptions
            for subscription in targets:
                if matches(subscription, event.detail_type):
                    wanted.append(
                        Delivery(
                            subscription_id=subscription.subscription_id,
                            event_id=event.event_id,
                            event_type=event.detail_type,
                            occurred_at=event.time,
                            data={k: v for k, v in event.detail.items() if k != "event_id"},
                            replay=replay,
                        )
                    )
        if wanted:
            self.deliveries.send(wanted)
        return len(wanted)

    # ----------------------------------------------------------------- one attempt
    def deliver(self, delivery: Delivery, attempt: int, now: datetime) -> Attempt:
        """Attempt ``attempt`` (1 for the first) of one delivery: delivered on a 2xx; otherwise
        tried again after its back-off, or, on the last attempt, given up (staff alerted once a
        while per subscription)."""
        subscription = self.subscriptions.find(delivery.subscription_id)
        secret = self.subscriptions.secret(delivery.subscription_id) if subscription else None
        if subscription is None or secret is None:
            return Attempt("gone", "deleted")  # unsubscribed since: nothing to send
        payload = body(delivery)
        headers = delivery_headers(delivery, secret, payload, int(time.time()))
        try:
            status = self.transport().post(
                subscription.url, headers=headers, body=payload, timeout=TIMEOUT_SECONDS
            )
            code = str(status)
            ok = 200 <= status < 300
        except DeliveryFailed as failed:
            code, ok = failed.code, False
        if ok:
            self.subscriptions.record_attempt(subscription.subscription_id, ok=True, code=code, at=now)
            return Attempt("delivered", code)
        dead = attempt >= DELIVERY_ATTEMPTS
        self.subscriptions.record_attempt(
            subscription.subscription_id, ok=False, code=code, at=now, dead=dead
        )
        if not dead:
            return Attempt("retry", code, retry_delay(attempt))
        if self.subscriptions.raise_once(
            subscription.subscription_id, "dead-letter", now=now, quiet=ALERT_QUIET
        ):
            self.alert(
                Alert(
                    subject=f"Webhook deliveries to subscription {subscription.subscription_id} are failing",
                    text=(
                        f"Event {delivery.event_id} ({delivery.event_type}) could not be delivered to "
                        f"{subscription.url} for a day (last answer: {code}); it and any others like it "
                        "are in the outbound webhooks' DLQ. Fix the receiver, then replay the events it "
                        f"missed: POST /subscriptions/{subscription.subscription_id}/replay."
                    ),
                )
            )
        return Attempt("dead", code)
