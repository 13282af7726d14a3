"""Shipments: what leaves one location for one order, and its own lifecycle."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from oms.errors import IllegalTransition
from oms.models import Address, Model
from oms.money import Money
from oms.timeutil import UtcDateTime


class ShipmentStatus(StrEnum):
    PENDING = "pending"  # allocated, waiting to be picked
    PACKED = "packed"
    SHIPPED = "shipped"  # handed to the carrier; stock committed
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"  # a failed attempt, a delay the carrier reports
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


T = ShipmentStatus
_MOVING = {T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.EXCEPTION, T.DELIVERED, T.RETURNED_TO_SENDER}
SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    T.PENDING: frozenset({T.PACKED, T.SHIPPED, T.CANCELLED}),
    T.PACKED: frozenset({T.SHIPPED, T.CANCELLED}),
    T.SHIPPED: frozenset(_MOVING),
    T.IN_TRANSIT: frozenset(_MOVING - {T.IN_TRANSIT}),
    T.OUT_FOR_DELIVERY: frozenset(_MOVING - {T.OUT_FOR_DELIVERY}),
    T.EXCEPTION: frozenset(_MOVING - {T.EXCEPTION}),
    T.DELIVERED: frozenset(),
    T.RETURNED_TO_SENDER: frozenset(),
    T.CANCELLED: frozenset(),
}
OPEN = frozenset({T.PENDING, T.PACKED})  # not yet shipped: can be cancelled
LEFT = frozenset(
    {T.SHIPPED, T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.EXCEPTION, T.DELIVERED, T.RETURNED_TO_SENDER}
)
ON_THE_WAY = frozenset({T.SHIPPED, T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.EXCEPTION})  # tracked
FINAL = frozenset({T.DELIVERED, T.RETURNED_TO_SENDER, T.CANCELLED})
EVENT_TYPE = {
    T.PACKED: "ShipmentPacked",
    T.SHIPPED: "ShipmentShipped",
    T.IN_TRANSIT: "ShipmentInTransit",
    T.OUT_FOR_DELIVERY: "ShipmentOutForDelivery",
    T.DELIVERED: "ShipmentDelivered",
    T.EXCEPTION: "ShipmentException",
    T.RETURNED_TO_SENDER: "ShipmentException",
    T.CANCELLED: "ShipmentCancelled",
}
# A live shipment whose lines changed (the order was edited or refunded in the channel).
SHIPMENT_CHANGED = "ShipmentChanged"


def check_shipment_transition(current: ShipmentStatus, target: ShipmentStatus) -> None:
    if target not in SHIPMENT_TRANSITIONS[current]:
        raise IllegalTransition(
            f"a shipment cannot go from {current.value} to {target.value}",
            details=[{"from": current.value, "to": target.value}],
        )


class ShipmentLine(Model):
    line_id: str
    sku: str | None = None  # the stock item when it holds stock, else the channel's SKU (if any)
    name: str
    quantity: int = Field(gt=0)
    grams: int | None = None
    holds_stock: bool = True  # False: a line no stock is kept for (made to order, a printed gift card)


class TrackingEvent(Model):
    """One scan the carrier reports, in our words."""

    status: ShipmentStatus
    description: str
    at: UtcDateTime
    location: str | None = None

    @property
    def key(self) -> str:
        return f"{self.at.isoformat()}|{self.status.value}|{self.description}"


class Problem(Model):
    kind: Annotated[
        str, StringConstraints(pattern=r"^(failed_attempt|returned_to_sender|stalled|exception)$")
    ]
    detail: str
    first_seen: UtcDateTime


class Tracking(Model):
    events: list[TrackingEvent] = Field(default_factory=list)
    checks: int = 0
    failed_checks: int = 0  # in a row: the carrier could not be reached (see oms.tracking_policy.defer)
    last_checked_at: UtcDateTime | None = None
    last_event_at: UtcDateTime | None = None
    next_check_at: UtcDateTime | None = None
    estimated_delivery: UtcDateTime | None = None
    problems: list[Problem] = Field(default_factory=list)


class Label(Model):
    carrier: str
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    label_url: str | None = None
    cost: Money | None = None
    provider_id: str | None = None  # the carrier's id for the purchase (to void it)
    tracker_id: str | None = None  # the tracking provider's id for this parcel
    provider: str  # sandbox | easypost | manual | channel (the channel fulfilled it itself)


class ShipmentEntry(Model):
    at: UtcDateTime
    from_status: ShipmentStatus | None = None
    to_status: ShipmentStatus
    reason: str | None = None
    actor: str


class Shipment(Model):
    """What leaves one location for one order. ``source`` ``channel``: a record of goods the channel
    fulfilled itself (a point-of-sale sale, a fulfilment made in its admin), never picked by us."""

    shipment_id: str
    order_id: str
    store_id: str
    channel: str
    number: str  # the order's display number
    location: str
    lines: list[ShipmentLine]
    ship_to: Address | None = None
    status: ShipmentStatus = ShipmentStatus.PENDING
    label: Label | None = None
    # Labels of lines no longer shipped (the order changed): voided at the carrier, then kept here.
    labels_to_void: list[Label] = Field(default_factory=list)
    voided_labels: list[Label] = Field(default_factory=list)
    source: Literal["oms", "channel"] = "oms"
    channel_fulfilment_id: str | None = None
    tracking: Tracking = Field(default_factory=Tracking)
    timeline: list[ShipmentEntry] = Field(default_factory=list)
    version: int = 0
    created_at: UtcDateTime
    updated_at: UtcDateTime
    shipped_at: UtcDateTime | None = None
    delivered_at: UtcDateTime | None = None

    def quantity_of(self, line_id: str) -> int:
        return sum(line.quantity for line in self.lines if line.line_id == line_id)

    @property
    def weight_grams(self) -> int:
        return sum((line.grams or 0) * line.quantity for line in self.lines)
