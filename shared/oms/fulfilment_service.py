"""Running fulfilment: load what a step needs, decide (oms.fulfilment, oms.tracking_policy), commit
atomically, retry on a concurrent change. Carriers and stores are passed in."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from oms import fulfilment, tracking_policy
from oms.carriers.carrier import (
    Carrier,
    CarrierRejected,
    CarrierUnavailable,
    Rate,
    TrackContext,
    TrackResult,
    choose_rate,
    parcel_for,
)
from oms.errors import BadRequest, Conflict, NotFound
from oms.fulfilment import FulfilmentChange
from oms.errors import ConcurrentModification
from oms.models import Address, Location, Order, Store, StoreSettings
from oms.observability import logger
from oms.order_changes import Actor, OrderChange, transition
from oms.order_lifecycle import OrderStatus
from oms.shipments import ON_THE_WAY, OPEN, Label, Shipment, ShipmentStatus, TrackingEvent

ATTEMPTS = 5


class Shipments(Protocol):
    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]: ...
    def get(self, shipment_id: str) -> Shipment: ...
    def save(self, change: FulfilmentChange) -> None: ...
    def tracking_due(self, now: datetime, *, limit: int) -> list[str]: ...
    def delivered_orders(self, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]: ...


class Stores(Protocol):
    def find(self, store_id: str) -> Store | None: ...


class Locations(Protocol):
    def all(self) -> list[Location]: ...


class StockLevels(Protocol):
    def available_at(self, skus: Sequence[str], locations: Sequence[str]) -> dict[tuple[str, str], int]: ...


class Carriers(Protocol):
    def for_store(self, store: Store | None) -> Carrier: ...
    def for_label(self, label: Label) -> Carrier | None: ...


@dataclass
class PollReport:
    due: int = 0
    checked: int = 0
    delivered: int = 0
    problems: int = 0
    failed: int = 0
    left_for_next_run: int = 0
    shipments: list[str] = field(default_factory=list)


class FulfilmentService:
    def __init__(
        self,
        shipments: Shipments,
        stores: Stores,
        locations: Locations,
        stock: StockLevels,
        carriers: Carriers,
    ) -> None:
        self.shipments, self.stores, self.locations, self.stock = shipments, stores, locations, stock
        self.carriers = carriers

    # ------------------------------------------------------------------ allocation
    def allocate(self, order_id: str, actor: Actor, *, by_staff: bool = False) -> list[Shipment]:
        """Shipments for what the order has reserved and no shipment carries (see
        oms.fulfilment.allocate_order). Safe to repeat: a second run finds nothing left."""
        for _ in range(ATTEMPTS):
            order, existing = self.shipments.order_with_shipments(order_id)
            if order is None:
                if by_staff:
                    raise NotFound(f"no order {order_id!r}", code="order_not_found")
                return []
            locations = self.locations.all()
            skus = sorted(order.reservation.reserved)
            available = self.stock.available_at(skus, [loc.location_id for loc in locations])
            change = fulfilment.allocate_order(
                order,
                existing,
                self.stores.find(order.store_id),
                locations,
                available,
                actor,
                by_staff=by_staff,
            )
            if change is None:
                return []
            try:
                self.shipments.save(change)
            except ConcurrentModification:
                continue
            return [sc.shipment for sc in change.shipments]
        if by_staff:
            raise Conflict(f"order {order_id} kept changing; try again", code="concurrent_update")
        raise ConcurrentModification(f"order {order_id} kept changing while allocating")

    def auto_fulfil(self, order_id: str, actor: Actor) -> list[Shipment]:
        """For stores with ``auto_fulfil``: buy a label for every open shipment of the order and ship
        it. Picks up where a failed run stopped (a label already bought is not bought again).
        A shipment that cannot be labelled automatically (no address, no rate) is left for staff."""
        order, shipments = self.shipments.order_with_shipments(order_id)
        store = self.stores.find(order.store_id) if order else None
        if (
            order is None
            or store is None
            or not store.settings.auto_fulfil
            or store.settings.carrier == "manual"
        ):
            return []
        shipped = []
        for shipment in shipments:
            if shipment.status not in OPEN:
                continue
            try:
                self.buy_label(shipment.shipment_id, actor)
                shipped.append(self.ship(shipment.shipment_id, actor))
            except (BadRequest, Conflict) as error:
                logger.warning(
                    "automatic fulfilment stopped; the shipment waits for staff",
                    extra={"shipment_id": shipment.shipment_id, "code": error.code},
                )
        return shipped

    def cancel_for_order(self, order_id: str, actor: Actor) -> list[str]:
        """The order was cancelled: its shipments that have not left are cancelled, labels voided.
        (Its stock was released with the order.)"""
        order, shipments = self.shipments.order_with_shipments(order_id)
        if order is None or order.status != OrderStatus.CANCELLED:
            return []
        cancelled = []
        for shipment in shipments:
            if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.PACKED):
                continue
            self._void(shipment)
            change = fulfilment.cancel_shipment(
                order, shipment, shipments, actor, reason="order cancelled", order_cancelled=True
            )
            try:
                self.shipments.save(change)
            except ConcurrentModification:
                continue  # changed meanwhile: the redelivered event tries again
            cancelled.append(shipment.shipment_id)
        return cancelled

    # ------------------------------------------------------------------ staff steps
    def pack(self, shipment_id: str, actor: Actor) -> Shipment:
        shipment = self.shipments.get(shipment_id)
        if shipment.status == ShipmentStatus.PACKED:
            return shipment
        change = fulfilment.pack(shipment, actor)
        self._save(change)
        return change.shipments[0].shipment

    def quote(self, shipment_id: str) -> list[Rate]:
        shipment, _, store, location = self.context(shipment_id)
        carrier = self.carriers.for_store(store)
        return carrier.rates(
            shipment,
            parcel_for(shipment, _settings(store).default_box),
            _origin(location),
            _destination(shipment),
        )

    def buy_label(
        self, shipment_id: str, actor: Actor, *, service: str | None = None, scenario: str | None = None
    ) -> Shipment:
        """Buy the label the store's rate policy picks (or ``service``). Buying twice returns the
        label already bought; a label bought by a request that then loses a race is voided."""
        shipment, order, store, location = self.context(shipment_id)
        if shipment.label is not None:
            return shipment
        settings = _settings(store)
        carrier = self.carriers.for_store(store)
        rates = carrier.rates(
            shipment, parcel_for(shipment, settings.default_box), _origin(location), _destination(shipment)
        )
        if service:
            rate = next((r for r in rates if r.service.lower() == service.lower()), None)
            if rate is None:
                offered = ", ".join(sorted({r.service for r in rates}))
                raise BadRequest(
                    f"no {service!r} rate for this parcel (offered: {offered})", code="no_such_service"
                )
        else:
            checkout = (
                order.shipping_lines[0].code or order.shipping_lines[0].title
                if order.shipping_lines
                else None
            )
            rate = choose_rate(rates, settings.rate_choice, checkout)
        label = carrier.buy(shipment, rate, scenario=scenario or settings.sandbox_scenario)
        try:
            change = fulfilment.attach_label(shipment, label, actor)
            self.shipments.save(change)
        except (ConcurrentModification, Conflict):
            carrier.void(label)
            raise Conflict(
                "the shipment changed while its label was bought; the label was voided",
                code="concurrent_update",
            ) from None
        logger.info(
            "label bought",
            extra={"shipment_id": shipment_id, "carrier": label.carrier, "service": label.service},
        )
        return change.shipments[0].shipment

    def enter_tracking(
        self, shipment_id: str, actor: Actor, *, carrier: str, tracking_number: str, tracking_url: str | None
    ) -> Shipment:
        shipment = self.shipments.get(shipment_id)
        if shipment.label and shipment.label.tracking_number == tracking_number:
            return shipment
        label = Label(
            provider="manual", carrier=carrier, tracking_number=tracking_number, tracking_url=tracking_url
        )
        change = fulfilment.attach_label(shipment, label, actor)
        self._save(change)
        return change.shipments[0].shipment

    def ship(self, shipment_id: str, actor: Actor) -> Shipment:
        """Mark shipped: stock committed exactly once, the order moves to (partially) shipped."""
        for _ in range(ATTEMPTS):
            shipment = self.shipments.get(shipment_id)
            if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.PACKED):
                if shipment.status == ShipmentStatus.CANCELLED:
                    raise Conflict("the shipment was cancelled", code="shipment_cancelled")
                return shipment  # already shipped: a retry
            order, others = self.shipments.order_with_shipments(shipment.order_id)
            if order is None:
                raise NotFound(f"no order {shipment.order_id!r}", code="order_not_found")
            trackable = shipment.label is not None and self.carriers.for_label(shipment.label) is not None
            first_check = actor.at + timedelta(hours=1) if trackable else None
            change = fulfilment.ship(
                order, shipment, [s for s in others if s.shipment_id != shipment_id], actor, first_check
            )
            try:
                self.shipments.save(change)
            except ConcurrentModification:
                continue
            return change.shipments[0].shipment
        raise Conflict(f"shipment {shipment_id} kept changing; try again", code="concurrent_update")

    def cancel(self, shipment_id: str, actor: Actor, *, reason: str) -> Shipment:
        shipment = self.shipments.get(shipment_id)
        if shipment.status == ShipmentStatus.CANCELLED:
            return shipment
        order, others = self.shipments.order_with_shipments(shipment.order_id)
        if order is None:
            raise NotFound(f"no order {shipment.order_id!r}", code="order_not_found")
        change = fulfilment.cancel_shipment(order, shipment, others, actor, reason=reason)
        self._void(shipment)
        self._save(change)
        return change.shipments[0].shipment

    def mark_delivered(self, shipment_id: str, actor: Actor) -> Shipment:
        """Staff confirm delivery of a parcel nobody tracks (a courier, a hand delivery)."""
        shipment = self.shipments.get(shipment_id)
        if shipment.status not in ON_THE_WAY:
            raise Conflict(f"shipment {shipment_id} is {shipment.status.value}", code="not_on_the_way")
        result = TrackResult(
            events=[
                TrackingEvent(status=ShipmentStatus.DELIVERED, description="delivery confirmed", at=actor.at)
            ]
        )
        return self._record(shipment, result, actor.at, timedelta(days=3650), actor)

    # ------------------------------------------------------------------ tracking
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
        report = PollReport(due=len(due))
        pending: dict[Future[str], str] = {}
        queue = list(due)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            while queue or pending:
                while queue and len(pending) < concurrency and remaining() > 0:
                    shipment_id = queue.pop(0)
                    pending[pool.submit(self._check, shipment_id, now, stalled_after, actor)] = shipment_id
                if not pending:
                    break  # out of time: what is left stays due, first in line next run
                done, _ = wait(
                    list(pending), timeout=max(0.05, min(1.0, remaining())), return_when=FIRST_COMPLETED
                )
                for future in done:
                    shipment_id = pending.pop(future)
                    try:
                        outcome = future.result()
                    except Exception as error:  # noqa: BLE001 - one parcel's failure must not stop the rest
                        logger.warning(
                            "tracking check failed",
                            extra={
                                "shipment_id": shipment_id,
                                "error": type(error).__name__,
                                "detail": str(error)[:200],
                            },
                        )
                        report.failed += 1
                        continue
                    report.checked += outcome != "skipped"
                    report.delivered += outcome == "delivered"
                    report.problems += outcome == "problem"
                    if outcome != "skipped":
                        report.shipments.append(shipment_id)
            report.left_for_next_run = len(queue)
        return report

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
        try:
            result = carrier.track(
                shipment.label,
                TrackContext(
                    shipped_at=shipment.shipped_at or now, check=shipment.tracking.checks + 1, now=now
                ),
            )
        except (CarrierUnavailable, CarrierRejected):
            # Try this parcel again later (backing off), so a carrier outage cannot keep it at the
            # head of the queue and crowd out the parcels behind it.
            self._defer(shipment, now)
            raise
        before = len(shipment.tracking.problems)
        try:
            updated = self._record(shipment, result, now, stalled_after, actor)
        except ConcurrentModification:
            # Another run (or staff) changed it meanwhile; what the carrier said is read again next time.
            return "skipped"
        if updated.status == ShipmentStatus.DELIVERED:
            return "delivered"
        return "problem" if len(updated.tracking.problems) > before else "checked"

    def _defer(self, shipment: Shipment, now: datetime) -> None:
        with contextlib.suppress(ConcurrentModification):  # changed meanwhile: its next check too
            self.shipments.save(
                fulfilment.finish(
                    FulfilmentChange(order=None, shipments=[tracking_policy.defer(shipment, now)])
                )
            )

    def _record(
        self, shipment: Shipment, result: TrackResult, now: datetime, stalled_after: timedelta, actor: Actor
    ) -> Shipment:
        change = tracking_policy.apply(shipment, result, now, stalled_after=stalled_after, actor=actor)
        full = FulfilmentChange(order=None, shipments=[change])
        if change.shipment.status == ShipmentStatus.DELIVERED and shipment.status != ShipmentStatus.DELIVERED:
            order, others = self.shipments.order_with_shipments(shipment.order_id)
            live = [
                s
                for s in others
                if s.shipment_id != shipment.shipment_id and s.status != ShipmentStatus.CANCELLED
            ]
            if (
                order is not None
                and order.status == OrderStatus.SHIPPED
                and all(s.status == ShipmentStatus.DELIVERED for s in live)
            ):
                moved, event = transition(
                    order, OrderStatus.DELIVERED, actor, reason="every parcel delivered"
                )
                moved = moved.model_copy(update={"delivered_at": change.shipment.delivered_at or now})
                full.order = OrderChange(order=moved, expected_version=order.version, events=[event])
        fulfilment.finish(full)
        self.shipments.save(full)
        return full.shipments[0].shipment

    # ------------------------------------------------------------------ completion
    def complete_due(self, now: datetime, actor: Actor) -> list[str]:
        completed: list[str] = []
        cursor: dict[str, Any] | None = None
        while True:
            order_ids, cursor = self.shipments.delivered_orders(cursor)
            for order_id in order_ids:
                order, _ = self.shipments.order_with_shipments(order_id)
                if order is None:
                    continue
                change = fulfilment.complete(order, self.stores.find(order.store_id), now, actor)
                if change is None:
                    continue
                try:
                    self.shipments.save(FulfilmentChange(order=change))
                except ConcurrentModification:
                    continue  # changed meanwhile (a return?): tomorrow's run decides again
                completed.append(order_id)
            if not cursor:
                return completed

    # ------------------------------------------------------------------ helpers
    def _save(self, change: FulfilmentChange) -> None:
        try:
            self.shipments.save(change)
        except ConcurrentModification as error:
            raise Conflict(
                "the shipment changed meanwhile; reload and try again", code="concurrent_update"
            ) from error

    def _void(self, shipment: Shipment) -> None:
        if shipment.label is None:
            return
        carrier = self.carriers.for_label(shipment.label)
        if carrier is not None:
            carrier.void(shipment.label)

    def context(self, shipment_id: str) -> tuple[Shipment, Order, Store | None, Location]:
        shipment = self.shipments.get(shipment_id)
        order, _ = self.shipments.order_with_shipments(shipment.order_id)
        if order is None:
            raise NotFound(f"no order {shipment.order_id!r}", code="order_not_found")
        location = next((loc for loc in self.locations.all() if loc.location_id == shipment.location), None)
        if location is None:
            raise NotFound(f"unknown location {shipment.location!r}", code="unknown_location")
        return shipment, order, self.stores.find(order.store_id), location


def _settings(store: Store | None) -> StoreSettings:
    return store.settings if store else StoreSettings()


def _origin(location: Location) -> Address:
    return location.address or Address(name=location.name, country_code=location.country_code)


def _destination(shipment: Shipment) -> Address:
    if shipment.ship_to is None:
        raise BadRequest("the order has no shipping address", code="no_shipping_address")
    return shipment.ship_to


def monotonic_budget(seconds: float) -> Callable[[], float]:
    deadline = time.monotonic() + seconds
    return lambda: deadline - time.monotonic()
