"""The warehouse's steps on one shipment: pack, quote, buy a label or enter tracking, ship, cancel,
confirm delivery; and voiding the labels of shipments that no longer go out."""

from __future__ import annotations

from datetime import timedelta

from oms import fulfilment
from oms.carriers.carrier import (
    CarrierRejected,
    CarrierUnavailable,
    Rate,
    TrackResult,
    choose_rate,
    parcel_for,
)
from oms.errors import BadRequest, ConcurrentModification, Conflict, NotFound
from oms.fulfilment import FulfilmentChange
from oms.models import Address, Location, Order, Store, StoreSettings
from oms.observability import logger
from oms.order_changes import Actor, retry_for
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.ports import Carriers, IntakeQueue, Locations, Shipments, Stores
from oms.services.tracking_service import TrackingService
from oms.shipments import LEFT, ON_THE_WAY, OPEN, Label, Shipment, ShipmentStatus, TrackingEvent

ATTEMPTS = 5


class ShippingService:
    def __init__(
        self,
        shipments: Shipments,
        stores: Stores,
        locations: Locations,
        carriers: Carriers,
        tracking: TrackingService,
        intake: IntakeQueue | None = None,
    ) -> None:
        self.shipments, self.stores, self.locations, self.carriers = shipments, stores, locations, carriers
        self.tracking = tracking
        self.intake = intake

    def pack(self, shipment_id: str, actor: Actor) -> Shipment:
        shipment = self.shipments.get(shipment_id)
        if shipment.status == ShipmentStatus.PACKED:
            return shipment
        order = self._order(shipment)
        change = fulfilment.pack(order, shipment, actor)
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
        if shipment.label is not None and shipment.status in OPEN:
            return shipment
        _check_labellable(order, shipment)
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
        except (ConcurrentModification, Conflict) as error:
            carrier.void(label)
            current = self.shipments.get(shipment_id)
            if isinstance(error, Conflict) or current.status not in OPEN:
                fulfilment.attach_label(current, label, actor)  # raises what is true now
            raise Conflict(
                "another request changed the shipment while this label was bought; the label was voided."
                " Reload the shipment and try again",
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
            if shipment.status in LEFT:
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
        """Cancel a shipment that has not left (its label voided). An order held because the
        channel changed what this shipment carries is then decided again."""
        shipment = self.shipments.get(shipment_id)
        if shipment.status == ShipmentStatus.CANCELLED:
            return shipment
        order, others = self.shipments.order_with_shipments(shipment.order_id)
        if order is None:
            raise NotFound(f"no order {shipment.order_id!r}", code="order_not_found")
        change = fulfilment.cancel_shipment(order, shipment, others, actor, reason=reason)
        self._save(change)
        cancelled = change.shipments[0].shipment
        self.void_labels(cancelled, actor)
        if (
            order.status == OrderStatus.ON_HOLD
            and order.hold is not None
            and order.hold.reason == HoldReason.MANUAL
        ):
            self.retry(order, actor)
        return self.shipments.get(shipment_id)

    def mark_delivered(self, shipment_id: str, actor: Actor) -> Shipment:
        """Staff confirm delivery of a parcel nobody tracks (a courier, a hand delivery)."""
        shipment = self.shipments.get(shipment_id)
        if shipment.status not in ON_THE_WAY:
            raise Conflict(
                f"shipment {shipment_id} is {shipment.status.value}:"
                " only a parcel on its way can be delivered",
                code="not_on_the_way",
            )
        result = TrackResult(
            events=[
                TrackingEvent(status=ShipmentStatus.DELIVERED, description="delivery confirmed", at=actor.at)
            ]
        )
        return self.tracking.record(shipment, result, actor.at, timedelta(days=3650), actor)

    def void_labels(self, shipment: Shipment, actor: Actor) -> list[Label]:
        """Void at their carriers the labels of lines that no longer go out; each once (a failed
        void stays to void, and the event that asked is redelivered)."""
        if not shipment.labels_to_void:
            return []
        voided = []
        for label in shipment.labels_to_void:
            carrier = self.carriers.for_label(label) if label.provider not in ("manual", "channel") else None
            if carrier is not None:
                carrier.void(label)
            voided.append(label)
        change = fulfilment.record_voided(shipment, voided, actor)
        try:
            self.shipments.save(change)
        except ConcurrentModification:
            # Changed meanwhile: the labels are void at the carrier already; the next run records it.
            logger.info("voided labels not recorded yet", extra={"shipment_id": shipment.shipment_id})
        return voided

    def retry(self, order: Order, actor: Actor) -> None:
        """Queue the order to be decided again by the intake (in its order's FIFO group)."""
        if self.intake is None:
            return
        self.intake.enqueue(retry_for(order, actor))

    # ------------------------------------------------------------------ helpers
    def _order(self, shipment: Shipment) -> Order:
        order, _ = self.shipments.order_with_shipments(shipment.order_id)
        if order is None:
            raise NotFound(f"no order {shipment.order_id!r}", code="order_not_found")
        return order

    def _save(self, change: FulfilmentChange) -> None:
        try:
            self.shipments.save(change)
        except ConcurrentModification as error:
            raise Conflict(
                "another request changed the shipment meanwhile; reload it and try again",
                code="concurrent_update",
            ) from error

    def context(self, shipment_id: str) -> tuple[Shipment, Order, Store | None, Location]:
        shipment = self.shipments.get(shipment_id)
        order = self._order(shipment)
        location = next((loc for loc in self.locations.all() if loc.location_id == shipment.location), None)
        if location is None:
            raise NotFound(f"unknown location {shipment.location!r}", code="unknown_location")
        return shipment, order, self.stores.find(order.store_id), location


def _check_labellable(order: Order, shipment: Shipment) -> None:
    """Refuse before paying the carrier: a label for a shipment that left, was cancelled, or whose
    order no longer ships it."""
    if shipment.status in LEFT:
        raise Conflict(
            f"shipment {shipment.shipment_id} has already shipped ({shipment.status.value}):"
            " a label is of no use now",
            code="shipment_already_shipped",
        )
    if shipment.status not in OPEN:
        raise Conflict(f"shipment {shipment.shipment_id} was cancelled", code="shipment_cancelled")
    if order.status not in fulfilment.SHIPPING:
        raise Conflict(
            f"order {order.order_id} is {order.status.value}: its shipments are not to be labelled",
            code="order_not_shipping",
        )


def _settings(store: Store | None) -> StoreSettings:
    return store.settings if store else StoreSettings()


def _origin(location: Location) -> Address:
    return location.address or Address(name=location.name, country_code=location.country_code)


def _destination(shipment: Shipment) -> Address:
    if shipment.ship_to is None:
        raise BadRequest(
            "the order has no shipping address: add one in the channel (or ship it another way and"
            " enter the tracking with POST /shipments/{id}/tracking)",
            code="no_shipping_address",
        )
    return shipment.ship_to


__all__ = ["CarrierRejected", "CarrierUnavailable", "ShippingService"]
