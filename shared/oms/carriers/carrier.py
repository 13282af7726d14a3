"""Carriers: one interface (quote rates, buy a label, track a parcel, void a label) and its
implementations: a deterministic sandbox, EasyPost, and manual entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from oms.errors import BadRequest, ServiceUnavailable
from oms.models import Address, Model, RateChoice
from oms.money import Money
from oms.shipments import Label, Shipment, TrackingEvent


class Parcel(Model):
    weight_grams: int
    length_cm: float
    width_cm: float
    height_cm: float


class Rate(Model):
    carrier: str
    service: str
    amount: Money
    delivery_days: int | None = None
    rate_id: str | None = None
    provider_shipment_id: str | None = None


class TrackResult(Model):
    events: list[TrackingEvent]
    estimated_delivery: datetime | None = None
    tracker_id: str | None = None  # the tracking provider's id, kept so later checks reuse it


@dataclass(frozen=True)
class TrackContext:
    """What the poller knows when it asks: when the parcel shipped, which check this is, now."""

    shipped_at: datetime
    check: int
    now: datetime


class Carrier(Protocol):
    provider: str

    def rates(
        self,
        shipment: Shipment,
        parcel: Parcel,
        ship_from: Address,
        ship_to: Address,
        *,
        is_return: bool = False,
    ) -> list[Rate]:
        """Rates for ``parcel`` from ``ship_from`` to ``ship_to``; ``is_return``: a return label for
        that shipment (the customer sends it back to ``ship_from``)."""
        ...

    def buy(self, shipment: Shipment, rate: Rate, *, scenario: str | None = None) -> Label: ...

    def track(self, label: Label, context: TrackContext) -> TrackResult: ...

    def void(self, label: Label) -> None: ...


class CarrierUnavailable(ServiceUnavailable):
    """The carrier could not be reached or answered with an error a retry may fix."""

    code = "carrier_unavailable"


class CarrierRejected(BadRequest):
    """The carrier refused the request (an address it cannot ship to, a bad key): retrying the same
    request will not help."""

    code = "carrier_rejected"


def choose_rate(rates: list[Rate], choice: RateChoice, checkout_service: str | None) -> Rate:
    """The store's rate policy: cheapest, fastest, or the service the customer chose at checkout
    (matched by name; the cheapest when the carrier does not offer it)."""
    if not rates:
        raise BadRequest("the carrier offered no rate for this parcel", code="no_rates")

    def cheapest(r: Rate) -> tuple[object, ...]:
        return (r.amount.amount, r.delivery_days if r.delivery_days is not None else 99, r.service)

    if choice == RateChoice.FASTEST:
        return min(
            rates, key=lambda r: (r.delivery_days if r.delivery_days is not None else 99, *cheapest(r))
        )
    if choice == RateChoice.CHECKOUT and checkout_service:
        wanted = _words(checkout_service)
        matching = [
            r
            for r in rates
            if _words(r.service) <= wanted
            or wanted <= _words(r.service)
            or _words(f"{r.carrier} {r.service}") <= wanted
        ]
        if matching:
            return min(matching, key=cheapest)
    return min(rates, key=cheapest)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if w}


def parcel_for(shipment: Shipment, box: Model) -> Parcel:
    """Weight from the lines (grams x quantity) plus the box; dimensions from the store's box."""
    return Parcel(
        weight_grams=shipment.weight_grams + int(getattr(box, "weight_grams", 0)),
        length_cm=float(getattr(box, "length_cm", 30)),
        width_cm=float(getattr(box, "width_cm", 20)),
        height_cm=float(getattr(box, "height_cm", 10)),
    )
