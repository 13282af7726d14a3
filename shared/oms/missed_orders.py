"""Reconciliation: finding the orders whose webhooks never reached us.

Webhooks get lost (Shopify tells integrators to reconcile; WooCommerce disables a webhook after
five failed deliveries and never replays). So, per store, on a schedule and on demand, the OMS asks
the channel which orders changed in a window and compares each with what it holds:

- **missing**: an order we have never seen;
- **stale**: one we hold at an older channel version (``channel_updated_at``) than the channel's.

Only those are read in full from the channel and fed through the intake queue like a webhook, so
the intake's version checks apply (an order that arrived meanwhile makes the delivery a no-op).
Orders we hold at the channel's version cost no read of the order.

The store's **watermark** is the end of the last window read completely; the next scheduled window
starts a little before it (``OVERLAP``: the channel's search index and clocks lag) and ends a
little before now (``SETTLE``). It moves only after every missed order of the window is on the
intake queue, and never backwards; an on-demand window that does not reach back to the watermark
leaves it alone (a gap before it would otherwise be skipped for ever). A store's first window
reaches back ``backfill_days`` (and alerts nobody: those orders predate the connection).

What reconciliation found is counted (``OrdersFoundByReconciliation``) and, from
``reconcile_alert_threshold`` orders in one run, staff are told webhooks may be failing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from oms.models import Model
from oms.timeutil import UtcDateTime

OVERLAP = timedelta(minutes=10)
SETTLE = timedelta(minutes=1)
LONGEST_WINDOW = timedelta(days=90)  # an on-demand window; channels keep order search this far at least
# A run is received from the reconcile queue this many times (its maxReceiveCount) before its DLQ
# keeps it; the last failure is recorded. A scheduled run neither finished nor recorded this long
# after it was queued (its Lambda timed out on every receive) no longer holds the store's schedule.
RUN_ATTEMPTS = 5
RUN_LOST_AFTER = timedelta(hours=24)


class MissedKind(StrEnum):
    MISSING = "missing"
    STALE = "stale"


class ChannelOrderVersion(Model):
    """One order as the channel's change list shows it: its id and when it last changed."""

    channel_order_id: str
    updated_at: UtcDateTime


class MissedOrder(Model):
    channel_order_id: str
    updated_at: UtcDateTime
    kind: MissedKind


class ReconcileRun(Model):
    """One window of one store to reconcile, as it travels on the reconcile queue: a continuation
    (a run that ran out of time) carries the channel's page cursor and what was found so far."""

    run_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")]
    store_id: str
    since: UtcDateTime
    until: UtcDateTime
    scheduled: bool = False
    requested_by: str = "schedule"
    cursor: str | None = None
    pages: int = Field(default=0, ge=0)
    listed: int = Field(default=0, ge=0)
    missing: int = Field(default=0, ge=0)
    stale: int = Field(default=0, ge=0)

    @property
    def found(self) -> int:
        return self.missing + self.stale


class Reconciliation(Model):
    """A store's reconciliation record: its watermark and its last run."""

    store_id: str
    watermark: UtcDateTime | None = None
    last_run_id: str | None = None
    last_run_at: UtcDateTime | None = None
    last_since: UtcDateTime | None = None
    last_until: UtcDateTime | None = None
    last_listed: int = 0
    last_missing: int = 0
    last_stale: int = 0
    last_error: str | None = None
    last_scheduled_at: UtcDateTime | None = None  # when the schedule last queued a run
    scheduled_run_id: str | None = None  # the run it queued
    scheduled_finished_id: str | None = None  # the last scheduled run that finished


def scheduled_window(
    watermark: datetime | None, now: datetime, *, backfill_days: int
) -> tuple[datetime, datetime] | None:
    """The next scheduled window, or None when there is nothing settled to read yet."""
    until = now - SETTLE
    # A first run without backfill still reads the last few minutes: it sets the watermark.
    since = watermark - OVERLAP if watermark else min(now - timedelta(days=backfill_days), until - OVERLAP)
    return (since, until) if since < until else None


def is_due(record: Reconciliation | None, now: datetime, every_minutes: int) -> bool:
    """A store reconciles every ``every_minutes`` (0: never on a schedule), one scheduled run at a
    time: while its last one waits on the queue or runs (a slow channel, a queue behind), the next
    is not queued beside it, so the queue never fills with one store's runs and a run staff ask
    for does not wait behind them. A run lost for ``RUN_LOST_AFTER`` no longer holds the store."""
    if every_minutes <= 0:
        return False
    last = record.last_scheduled_at if record else None
    if record is None or last is None:
        return True
    running = record.scheduled_run_id not in (None, record.scheduled_finished_id)
    if running and now - last < RUN_LOST_AFTER:
        return False
    # A little early is on time: the schedule ticks every few minutes, never exactly on the hour.
    return now - last >= timedelta(minutes=every_minutes) - timedelta(minutes=2)


def check_window(since: datetime, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """An on-demand window: ``until`` defaults to now; the window is in the past and at most
    ``LONGEST_WINDOW`` long. Raises ValueError in words staff can act on."""
    end = min(until or now, now)
    if since >= end:
        raise ValueError("since must be before until (and before now)")
    if end - since > LONGEST_WINDOW:
        raise ValueError(f"a window is at most {LONGEST_WINDOW.days} days long")
    return since, end


def triage(listed: list[ChannelOrderVersion], ours: dict[str, datetime]) -> list[MissedOrder]:
    """What the channel lists that we lack (``ours``: channel order id -> our channel version)."""
    missed = []
    for order in listed:
        held = ours.get(order.channel_order_id)
        if held is None:
            missed.append(MissedOrder(**order.model_dump(), kind=MissedKind.MISSING))
        elif held < order.updated_at:
            missed.append(MissedOrder(**order.model_dump(), kind=MissedKind.STALE))
    return missed


def moves_watermark(run: ReconcileRun, watermark: datetime | None) -> bool:
    """A finished window moves the watermark when it starts at or before it (no gap is skipped)
    and ends after it; the schedule's windows always start before it."""
    if watermark is None:
        return run.scheduled
    return run.since <= watermark < run.until


def needs_alert(run: ReconcileRun, threshold: int, watermark: datetime | None) -> bool:
    """Enough found to tell staff; never for a store's first scheduled run (its backfill brings in
    orders from before the store was connected, not ones its webhooks lost)."""
    backfill = run.scheduled and watermark is None
    return threshold > 0 and run.found >= threshold and not backfill


def event_id(channel_order_id: str, updated_at: datetime) -> str:
    """The intake delivery id of a reconciled order version: the same version found twice (an
    overlap, a repeated run) is one delivery to the intake queue's deduplication."""
    return f"reconcile:{channel_order_id}:{updated_at.strftime('%Y%m%dT%H%M%S')}"
