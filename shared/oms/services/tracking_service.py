"""The tracking run: check the parcels that are due with their carriers, concurrently, within the
invocation's time; record what they say once (oms.tracking_policy); what is not reached stays
due, first in line next run. Return parcels (oms.returns) are checked in the same run, after the
shipments due, by the return desk."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from oms import fulfilment, tracking_policy
from oms.carriers.carrier import CarrierRejected, CarrierUnavailable, TrackContext, TrackResult
from oms.errors import ConcurrentModification
from oms.fulfilment import FulfilmentChange
from oms.observability import logger
from oms.order_changes import Actor
from oms.ports import Carriers, Shipments
from oms.shipments import ON_THE_WAY, Shipment, ShipmentStatus


class ReturnParcels(Protocol):
    def tracking_due(self, now: datetime, *, limit: int) -> list[str]: ...
    def check_tracking(self, return_id: str, now: datetime, actor: Actor) -> str: ...


@dataclass
class PollReport:
    due: int = 0
    checked: int = 0
    delivered: int = 0
    problems: int = 0
    failed: int = 0
    left_for_next_run: int = 0
    shipments: list[str] = field(default_factory=list)


class TrackingService:
    def __init__(
        self, shipments: Shipments, carriers: Carriers, returns: ReturnParcels | None = None
    ) -> None:
        self.shipments, self.carriers, self.returns = shipments, carriers, returns

    def poll(
        self,
        now: datetime,
        *,
        remaining: Callable[[], float],
        stalled_after: timedelta,
        concurrency: int,
        limit: int,
        actor: Actor,
    ) -> PollReport:
        """Check due parcels concurrently until the time budget is spent; the rest stay due."""
        due = self.shipments.tracking_due(now, limit=limit)
        queue: list[tuple[str, str]] = [("shipment", x) for x in due]
        if self.returns is not None:
            queue += [("return", x) for x in self.returns.tracking_due(now, limit=limit)]
        report = PollReport(due=len(queue))
        pending: dict[Future[str], str] = {}
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            while queue or pending:
                while queue and len(pending) < concurrency and remaining() > 0:
                    kind, parcel = queue.pop(0)
                    if kind == "return" and self.returns is not None:
                        future = pool.submit(self.returns.check_tracking, parcel, now, actor)
                    else:
                        future = pool.submit(self._check, parcel, now, stalled_after, actor)
                    pending[future] = parcel
                if not pending:
                    break  # out of time: what is left stays due, first in line next run
                done, _ = wait(
                    list(pending), timeout=max(0.05, min(1.0, remaining())), return_when=FIRST_COMPLETED
                )
                for future in done:
                    self._count(report, pending.pop(future), future)
            report.left_for_next_run = len(queue)
        return report

    def record(
        self, shipment: Shipment, result: TrackResult, now: datetime, stalled_after: timedelta, actor: Actor
    ) -> Shipment:
        """One check's scans recorded once; the order moves to delivered with its last parcel."""
        change = tracking_policy.apply(shipment, result, now, stalled_after=stalled_after, actor=actor)
        full = FulfilmentChange(order=None, shipments=[change])
        if change.shipment.status == ShipmentStatus.DELIVERED and shipment.status != ShipmentStatus.DELIVERED:
            order, others = self.shipments.order_with_shipments(shipment.order_id)
            if order is not None:
                full.order = tracking_policy.order_delivered(order, change.shipment, others, now, actor)
        fulfilment.finish(full)
        self.shipments.save(full)
        return full.shipments[0].shipment

    def _count(self, report: PollReport, shipment_id: str, future: Future[str]) -> None:
        try:
            outcome = future.result()
        except Exception as error:  # noqa: BLE001 - one parcel's failure must not stop the rest
            logger.warning(
                "tracking check failed",
                extra={"shipment_id": shipment_id, "error": type(error).__name__, "detail": str(error)[:200]},
            )
            report.failed += 1
            return
        report.checked += outcome != "skipped"
        report.delivered += outcome == "delivered"
        report.problems += outcome == "problem"
        if outcome != "skipped":
            report.shipments.append(shipment_id)

    def _check(self, shipment_id: str, now: datetime, stalled_after: timedelta, actor: Actor) -> str:
        shipment = self.shipments.get(shipment_id)
        due = shipment.tracking.next_check_at
        # Schedules fire with whole-second times; the index query takes that whole second too.
        if (
            shipment.status not in ON_THE_WAY
            or shipment.label is None
            or (due and due.replace(microsecond=0) > now)
        ):
            return "skipped"
        carrier = self.carriers.for_label(shipment.label)
        if carrier is None:
            # Nobody can track it now (e.g. the tracking provider's key was removed): back off, so
            # it does not stay at the head of the queue crowding out parcels that can be checked.
            self._defer(shipment, now)
            return "skipped"
        context = TrackContext(
            shipped_at=shipment.shipped_at or now, check=shipment.tracking.checks + 1, now=now
        )
        try:
            result = carrier.track(shipment.label, context)
        except (CarrierUnavailable, CarrierRejected):
            # Try this parcel again later (backing off), so a carrier outage cannot keep it at the
            # head of the queue and crowd out the parcels behind it.
            self._defer(shipment, now)
            raise
        before = len(shipment.tracking.problems)
        try:
            updated = self.record(shipment, result, now, stalled_after, actor)
        except ConcurrentModification:
            # Another run (or staff) changed it meanwhile; what the carrier said is read again next time.
            return "skipped"
        if updated.status == ShipmentStatus.DELIVERED:
            return "delivered"
        return "problem" if len(updated.tracking.problems) > before else "checked"

    def _defer(self, shipment: Shipment, now: datetime) -> None:
        with contextlib.suppress(ConcurrentModification):  # changed meanwhile: its next check too
            change = FulfilmentChange(order=None, shipments=[tracking_policy.defer(shipment, now)])
            self.shipments.save(fulfilment.finish(change))
