"""Outbound webhooks: the OMS's own domain events (docs/events.md) delivered to systems that
subscribe (an ERP, a warehouse system, a data pipeline).

A subscription names an HTTPS URL and the event types it wants (``*`` for all). Each matching
event is POSTed as JSON ``{"id", "type", "occurred_at", "data"}`` with:

- ``X-OMS-Event-Id``: the event's id, the same on every delivery of it (the receiver deduplicates:
  delivery is at least once);
- ``X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscription's
  secret>`` (the secret is shown once, when the subscription is made); a receiver refuses a
  signature older than a few minutes;
- ``X-OMS-Event-Type``, ``User-Agent: OMS-Webhooks/1``.

A 2xx answer is delivered; anything else (or no answer in 10 s) is tried again with exponential
back-off, 30 s doubling to 12 h, for at least a day (``DELIVERY_ATTEMPTS``), then the delivery is
dead-lettered and staff are alerted. Targets are HTTPS only and never private, loopback,
link-local or otherwise non-public addresses (checked when subscribing and, after resolving the
name, again when delivering, connecting only to the address checked).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, StringConstraints

from oms.models import Model
from oms.timeutil import UtcDateTime

ALL = "*"
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 12 * 3600  # SQS holds a message back at most 12 hours
DELIVERY_ATTEMPTS = 13  # 30 s doubling to 12 h: the 13th attempt is more than 24 h after the first
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-OMS-Signature"
_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_BLOCKED_SUFFIXES = (".local", ".internal", ".localhost", ".localdomain", ".home.arpa", ".lan")


class TargetRefused(ValueError):
    """A URL the OMS will not deliver to (not HTTPS, or not a public address)."""


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILING = "failing"  # the last attempt failed; it is being tried again
    DEAD = "dead"  # a delivery was given up after a day of attempts


class SubscriptionHealth(Model):
    delivered: int = 0
    failed_attempts: int = 0
    dead_lettered: int = 0
    consecutive_failures: int = 0
    last_status: DeliveryStatus | None = None
    last_code: str | None = None  # the HTTP status, or why there was none (timeout, refused)
    last_attempt_at: UtcDateTime | None = None
    last_delivered_at: UtcDateTime | None = None


class Subscription(Model):
    subscription_id: str
    url: str
    events: list[str]
    description: str | None = None
    created_at: UtcDateTime
    created_by: str
    health: SubscriptionHealth = Field(default_factory=SubscriptionHealth)


class Delivery(Model):
    """One event for one subscription, on its way through the delivery queue."""

    subscription_id: str
    event_id: str
    event_type: str
    occurred_at: UtcDateTime
    data: dict[str, Any]
    replay: str | None = None  # the replay that sent it again, if one did


class ReplayWindow(Model):
    """A replay staff asked for: the archive's events in a window, for one subscription."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    subscription_id: str
    since: UtcDateTime
    until: UtcDateTime


def check_target(url: str) -> str:
    """The URL, if the OMS may deliver to it: HTTPS, no user or password in it, a name (or a public
    address) that is not a local one."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        raise TargetRefused("a subscription's URL must be https://")
    if parts.username or parts.password:
        raise TargetRefused("a subscription's URL must not carry credentials")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("a subscription's URL needs a host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_BLOCKED_SUFFIXES) or not _NAME.match(host):
            raise TargetRefused(f"{host!r} is not a public host name") from None
    else:
        if not public(address):
            raise TargetRefused(f"{host} is not a public address")
    return url.strip()


def public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address (not private, loopback, link-local such as the instance
    metadata service, multicast, reserved, or an IPv4 address in IPv6 clothing)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def matches(subscription: Subscription, event_type: str) -> bool:
    return ALL in subscription.events or event_type in subscription.events


def body(delivery: Delivery) -> bytes:
    return json.dumps(
        {
            "id": delivery.event_id,
            "type": delivery.event_type,
            "occurred_at": delivery.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": delivery.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, payload: bytes, now: int, tolerance: int = 300) -> bool:
    """How a receiver checks a delivery (and how the tests do): the signature matches and is fresh."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    expected = signature(secret, timestamp, payload).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, fields.get("v1", ""))


def retry_delay(attempt: int) -> int:
    """Seconds before attempt ``attempt + 1`` (after ``attempt`` failed ones): 30 s, doubling, at
    most 12 h."""
    return int(min(FIRST_RETRY_SECONDS * (1 << max(0, attempt - 1)), MAX_RETRY_SECONDS))


def delivery_headers(delivery: Delivery, secret: str, payload: bytes, timestamp: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "OMS-Webhooks/1",
        "x-oms-event-id": delivery.event_id,
        "x-oms-event-type": delivery.event_type,
        SIGNATURE_HEADER.lower(): signature(secret, timestamp, payload),
    }


def event_types(known: Iterable[str], asked: list[str]) -> list[str]:
    """The event types a subscription asks for, each known (or ``*``); ValueError naming the rest."""
    unknown = [e for e in asked if e != ALL and e not in set(known)]
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(sorted(unknown))}")
    return sorted(set(asked))
