"""Reconciliation runs (oms.missed_orders): the schedule's, and those staff ask for.

``schedule`` queues one run per store that is due (claimed on the store's record, so two ticks
queue it once). ``run`` reads the channel's changed orders page by page; per page, one read of our
versions, then each missing or stale order read in full and put on the intake queue as its
webhook would be. A run that is running out of time queues the rest of itself (the channel's
cursor and its counts so far). The watermark moves, and the run is recorded, only when its last
page is on the intake queue; a failure the channel may recover from is raised (the queue retries
the message, from the page it carries: every page again is a no-op for what was queued). Its last
attempt's failure is recorded before the run goes to the DLQ: the store's record says why, and the
schedule, which queues one run per store at a time, moves on to the store's next.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from oms.errors import BadRequest, Conflict, NotFound
from oms.identifiers import order_id_for
from oms.intake_message import IntakeMessage
from oms.integrations.http_transport import HttpError
from oms.missed_orders import (
    RUN_ATTEMPTS,
    ChannelOrderVersion,
    MissedKind,
    ReconcileRun,
    Reconciliation,
    check_window,
    event_id,
    is_due,
    moves_watermark,
    needs_alert,
    scheduled_window,
    triage,
)
from oms.models import Channel, Store
from oms.notifications import Alert
from oms.ports import IntakeQueue
from oms.timeutil import iso

# The channel's webhook topic a reconciled order is delivered under: the intake reads it as the
# order's newest state, whatever changed.
TOPICS = {
    Channel.SHOPIFY: "orders/updated",
    Channel.WOOCOMMERCE: "order.updated",
    Channel.BIGCOMMERCE: "store/order/updated",  # the intake reads the order itself
}
SPARE_SECONDS = 30.0  # a page takes this long at worst: less time left, and the rest is queued


class OrderReads(Protocol):
    def changed(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[ChannelOrderVersion], str | None]: ...

    def fetch(self, channel_order_id: str) -> dict[str, Any] | None: ...


class Stores(Protocol):
    def find(self, store_id: str) -> Store | None: ...

    def all(self) -> list[Store]: ...

    def api_credentials(self, store: Store) -> dict[str, Any] | None: ...


class Records(Protocol):
    def get(self, store_id: str) -> Reconciliation | None: ...

    def many(self, store_ids: list[str]) -> dict[str, Reconciliation]: ...

    def mark_scheduled(self, store_id: str, run_id: str, at: datetime, previous: datetime | None) -> bool: ...

    def finish(
        self, run: ReconcileRun, at: datetime, *, move_watermark: bool, error: str | None = None
    ) -> None: ...


class OrderVersions(Protocol):
    def channel_versions(self, order_ids: list[str]) -> dict[str, datetime]: ...


class RunQueue(Protocol):
    def send(self, run: ReconcileRun) -> None: ...


Readers = Callable[[Store, dict[str, Any] | None], OrderReads | str]


@dataclass
class RunOutcome:
    run: ReconcileRun
    finished: bool
    queued: list[str] = field(default_factory=list)  # channel order ids put on the intake queue
    moved_watermark: bool = False
    problem: str | None = None


def _run_id() -> str:
    return uuid.uuid4().hex[:16]


def request_run(
    store: Store | None,
    queue: RunQueue,
    since: datetime,
    until: datetime | None,
    *,
    actor: str,
    now: datetime,
) -> ReconcileRun:
    """Staff ask for a window of a store to be reconciled: queued, answered at once."""
    if store is None:
        raise NotFound("unknown store", code="unknown_store")
    if store.channel not in TOPICS:
        raise Conflict(
            f"reconciliation reads orders from Shopify, WooCommerce and BigCommerce, not {store.channel}",
            code="reconcile_unsupported",
        )
    if not store.api_connected:
        raise Conflict("the store has no API credentials to read its orders with", code="no_api_credentials")
    try:
        start, end = check_window(since, until, now)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_window") from exc
    run = ReconcileRun(run_id=_run_id(), store_id=store.store_id, since=start, until=end, requested_by=actor)
    queue.send(run)
    return run


class OrderRecovery:
    def __init__(
        self,
        stores: Stores,
        records: Records,
        orders: OrderVersions,
        intake: IntakeQueue,
        queue: RunQueue,
        readers: Readers,
        alert: Callable[[Alert], None],
    ) -> None:
        self.stores, self.records, self.orders = stores, records, orders
        self.intake, self.queue, self.readers, self.alert = intake, queue, readers, alert

    def schedule(self, now: datetime) -> list[ReconcileRun]:
        """Queue a run for every store that is due (channel read, API credentials kept)."""
        stores = [s for s in self.stores.all() if s.channel in TOPICS and s.api_connected]
        records = self.records.many([s.store_id for s in stores]) if stores else {}
        queued = []
        for store in stores:
            record = records.get(store.store_id)
            if not is_due(record, now, store.settings.reconcile_every_minutes):
                continue
            window = scheduled_window(
                record.watermark if record else None,
                now,
                backfill_days=store.settings.reconcile_backfill_days,
            )
            if window is None:
                continue
            run = ReconcileRun(
                run_id=_run_id(), store_id=store.store_id, since=window[0], until=window[1], scheduled=True
            )
            if not self.records.mark_scheduled(
                store.store_id, run.run_id, now, record.last_scheduled_at if record else None
            ):
                continue  # another tick queued it
            self.queue.send(run)
            queued.append(run)
        return queued

    # ----------------------------------------------------------------- running
    def attempt(
        self, run: ReconcileRun, now: datetime, time_left: Callable[[], float], attempt: int
    ) -> RunOutcome:
        """One receive of a run from the reconcile queue (``attempt`` counts them from 1)."""
        try:
            return self.run(run, now, time_left)
        except Exception as exc:
            if attempt >= RUN_ATTEMPTS:
                problem = f"gave up after {attempt} attempts: {type(exc).__name__}: {exc}"[:300]
                with contextlib.suppress(Exception):  # the DLQ keeps the run either way
                    self.records.finish(run, now, move_watermark=False, error=problem)
            raise

    def run(self, run: ReconcileRun, now: datetime, time_left: Callable[[], float]) -> RunOutcome:
        store = self.stores.find(run.store_id)
        if store is None:
            return RunOutcome(run, finished=True, problem="the store no longer exists")
        reader = self.readers(store, self.stores.api_credentials(store)) if store.channel in TOPICS else None
        if reader is None or isinstance(reader, str):
            return self._give_up(store, run, now, reader or f"no order reads for {store.channel.value}")
        outcome = RunOutcome(run, finished=False)
        while True:
            try:
                listed, cursor = reader.changed(run.since, run.until, run.cursor)
                queued, missing, stale = self._recover(store, reader, listed, now)
            except HttpError as error:
                if error.retryable:
                    raise
                return self._give_up(
                    store, run, now, f"{store.channel.value} answered {error.status}: {error}"
                )
            outcome.queued += queued
            run = run.model_copy(
                update={
                    "cursor": cursor,
                    "pages": run.pages + 1,
                    "listed": run.listed + len(listed),
                    "missing": run.missing + missing,
                    "stale": run.stale + stale,
                }
            )
            outcome.run = run
            if cursor is None:
                break
            if time_left() < SPARE_SECONDS:
                self.queue.send(run)  # the rest of the window, from this page on
                return outcome
        record = self.records.get(store.store_id)
        watermark = record.watermark if record else None
        outcome.moved_watermark = moves_watermark(run, watermark)
        self.records.finish(run, now, move_watermark=outcome.moved_watermark)
        outcome.finished = True
        if needs_alert(run, store.settings.reconcile_alert_threshold, watermark):
            self.alert(_missed_alert(store, run))
        return outcome

    def _recover(
        self, store: Store, reader: OrderReads, listed: list[ChannelOrderVersion], now: datetime
    ) -> tuple[list[str], int, int]:
        if not listed:
            return [], 0, 0
        ids = {v.channel_order_id: order_id_for(store.store_id, v.channel_order_id) for v in listed}
        held = self.orders.channel_versions(sorted(set(ids.values())))
        ours = {channel_id: held[oid] for channel_id, oid in ids.items() if oid in held}
        queued, missing, stale = [], 0, 0
        for missed in triage(listed, ours):
            payload = reader.fetch(missed.channel_order_id)
            if payload is None:
                continue  # gone from the channel since it was listed
            self.intake.enqueue(
                IntakeMessage(
                    channel=store.channel.value,
                    store_id=store.store_id,
                    topic=TOPICS[store.channel],
                    event_id=event_id(missed.channel_order_id, missed.updated_at),
                    channel_order_id=missed.channel_order_id,
                    body=json.dumps(payload, separators=(",", ":")),
                    received_at=iso(now),
                    attributes={"source": "reconciliation"},
                )
            )
            queued.append(missed.channel_order_id)
            if missed.kind == MissedKind.MISSING:
                missing += 1
            else:
                stale += 1
        return queued, missing, stale

    def _give_up(self, store: Store, run: ReconcileRun, now: datetime, problem: str) -> RunOutcome:
        """A run the channel will not answer (credentials refused, no keys): recorded, the
        watermark left where it is, staff told once (not on every run while it lasts)."""
        record = self.records.get(store.store_id)
        self.records.finish(run, now, move_watermark=False, error=problem[:300])
        if record is None or record.last_error != problem[:300]:
            self.alert(
                Alert(
                    subject=f"Orders of {store.name} cannot be reconciled",
                    text=(
                        f"The OMS could not read the orders of store {store.store_id} from "
                        f"{store.channel.value} to look for missed webhooks: {problem[:300]}. Check the "
                        "store's API credentials and their order read scopes, then save them again; the "
                        "next run starts where the last complete one ended."
                    ),
                )
            )
        return RunOutcome(run, finished=True, problem=problem)


def _missed_alert(store: Store, run: ReconcileRun) -> Alert:
    return Alert(
        subject=f"Webhooks may be failing for {store.name}",
        text=(
            f"Reconciliation of store {store.store_id} found {run.found} order(s) the OMS had not "
            f"received by webhook ({run.missing} never seen, {run.stale} changed since we last heard) "
            f"between {iso(run.since)} and {iso(run.until)}. They are now taken in. Check the "
            f"store's webhook subscriptions in {store.channel.value}: a channel disables a webhook "
            "that keeps failing."
        ),
    )
