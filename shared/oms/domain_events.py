"""Domain events: what every committed change tells the rest of the system.

Events are written into the changed item's ``outbox`` attribute in the same DynamoDB write as
the change itself; the publisher function relays them from the table's stream to EventBridge.
A crash between the write and the relay therefore loses nothing (see docs/events.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oms.models import EditPush, Hold, Note, NoteVisibility, Order, OrderEdit, Refund, TimelineEntry
from oms.money import Money
from oms.order_lifecycle import EVENT_TYPE, OrderStatus
from oms.timeutil import UtcDateTime

SCHEMA_VERSION = 1
SOURCE_ORDERS = "oms.orders"
SOURCE_STOCK = "oms.stock"
SOURCE_SHIPMENTS = "oms.shipments"
SOURCE_RETURNS = "oms.returns"


class OutboxEvent(BaseModel):
    """One event waiting in an item's outbox. ``id`` is stable across re-deliveries."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    source: str
    type: str
    occurred_at: UtcDateTime
    detail: dict[str, Any]


class EventLine(BaseModel):
    model_config = ConfigDict(defer_build=True)

    sku: str | None
    quantity: int


class OrderEventDetail(BaseModel):
    """Detail of every ``Order*`` event (OrderPlaced, OrderConfirmed, OrderOnHold, ...).

    No customer data: consumers that need it read the order.
    """

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    channel_order_id: str
    number: str
    status: OrderStatus
    previous_status: OrderStatus | None
    reason: str | None = None
    actor: str
    source_event: str | None = None
    hold: Hold | None = None
    total: Money
    lines: list[EventLine]
    occurred_at: UtcDateTime
    tracking: list[dict[str, Any]] = Field(default_factory=list)
    # False: staff asked that the customer not be told (a cancellation made without an email).
    notify_customer: bool = True


class OrderUpdatedDetail(BaseModel):
    """The channel changed an order's content (address, lines, note) without a status change."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    status: OrderStatus
    changed: list[str]
    occurred_at: UtcDateTime


class OrderNoteDetail(BaseModel):
    """OrderNoteAdded: staff wrote a note on an order. The text stays on the order (it may name
    the customer): a consumer that shows or sends it reads the order and finds ``note_id``."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    number: str
    note_id: str
    visibility: NoteVisibility
    author: str
    occurred_at: UtcDateTime


def order_note_event(order: Order, note: Note) -> OutboxEvent:
    assert note.note_id is not None
    detail = OrderNoteDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        note_id=note.note_id,
        visibility=note.visibility,
        author=note.author,
        occurred_at=note.at,
    )
    return OutboxEvent(
        id="",  # numbered when the change is committed
        source=SOURCE_ORDERS,
        type="OrderNoteAdded",
        occurred_at=note.at,
        detail=detail.model_dump(mode="json"),
    )


class OrderTagsDetail(BaseModel):
    """OrderTagsChanged: staff added or removed tags (``tags``: all the order has now)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    tags: list[str]
    added: list[str]
    removed: list[str]
    actor: str
    occurred_at: UtcDateTime


def order_tags_event(
    order: Order, added: list[str], removed: list[str], actor: str, at: datetime
) -> OutboxEvent:
    detail = OrderTagsDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        tags=order.tags,
        added=added,
        removed=removed,
        actor=actor,
        occurred_at=at,
    )
    return OutboxEvent(
        id="",
        source=SOURCE_ORDERS,
        type="OrderTagsChanged",
        occurred_at=at,
        detail=detail.model_dump(mode="json"),
    )


class OrderRedactedDetail(BaseModel):
    """OrderRedacted: the order's personal data was erased (a customer's or a store's erasure
    request, or the store's retention period); its lines, amounts and dates remain."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    status: OrderStatus
    request_id: str
    actor: str
    occurred_at: UtcDateTime


def order_redacted_event(order: Order, request_id: str, actor: str, at: datetime) -> OutboxEvent:
    detail = OrderRedactedDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        status=order.status,
        request_id=request_id,
        actor=actor,
        occurred_at=at,
    )
    return OutboxEvent(
        id="",
        source=SOURCE_ORDERS,
        type="OrderRedacted",
        occurred_at=at,
        detail=detail.model_dump(mode="json"),
    )


class ReturnEventLine(BaseModel):
    model_config = ConfigDict(defer_build=True)

    line_id: str
    sku: str | None
    quantity: int
    reason: str
    received: int = 0
    restocked: int = 0
    damaged: int = 0
    missing: int = 0


class ReturnDetail(BaseModel):
    """Every ``Return*`` event: the return as it stands (no customer data). ``freed_skus``: SKUs
    back on hand (ReturnReceived), for orders waiting for stock."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    return_id: str
    order_id: str
    store_id: str
    channel: str
    status: str
    source: str
    lines: list[ReturnEventLine]
    refund_id: str | None = None
    refunded: str | None = None
    currency: str | None = None
    tracking_number: str | None = None
    label_url: str | None = None
    replacement_order_id: str | None = None
    exchange_owed: str | None = None
    exchange_short: list[str] = Field(default_factory=list)
    freed_skus: list[str] = Field(default_factory=list)
    reason: str | None = None
    actor: str
    occurred_at: UtcDateTime


class ClaimDetail(BaseModel):
    """ClaimOpened: units that arrived missing, wrong or broken, and how they are put right."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    claim_id: str
    order_id: str
    store_id: str
    channel: str
    type: str
    resolution: str
    lines: dict[str, int]
    replacement_order_id: str | None = None
    refund_id: str | None = None
    actor: str
    occurred_at: UtcDateTime


def claim_event(order: Order, claim: Any, at: datetime) -> OutboxEvent:
    detail = ClaimDetail(
        claim_id=claim.claim_id,
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        type=claim.type,
        resolution=claim.resolution,
        lines={x.line_id: x.quantity for x in claim.lines},
        replacement_order_id=claim.replacement_order_id,
        refund_id=claim.refund_id,
        actor=claim.actor,
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_ORDERS, type="ClaimOpened", occurred_at=at, detail=detail.model_dump(mode="json")
    )


def return_event(
    event_type: str,
    ret: Any,
    actor: str,
    at: datetime,
    *,
    freed: list[str] | None = None,
    reason: str | None = None,
) -> OutboxEvent:
    """One ``Return*`` event of ``ret`` (an oms.returns.Return)."""
    detail = ReturnDetail(
        return_id=ret.return_id,
        order_id=ret.order_id,
        store_id=ret.store_id,
        channel=ret.channel,
        status=ret.status.value,
        source=ret.source,
        lines=[
            ReturnEventLine(
                line_id=x.line_id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason,
                received=x.received,
                restocked=x.restocked,
                damaged=x.damaged,
                missing=x.missing,
            )
            for x in ret.lines
        ],
        refund_id=ret.refund_id,
        refunded=str(ret.refunded.amount) if ret.refunded else None,
        currency=ret.refunded.currency if ret.refunded else None,
        tracking_number=ret.label.tracking_number if ret.label else None,
        label_url=ret.label.label_url if ret.label else None,
        replacement_order_id=ret.replacement_order_id,
        exchange_owed=str(ret.exchange_owed.amount) if ret.exchange_owed else None,
        exchange_short=list(ret.exchange_short),
        freed_skus=sorted(freed or []),
        reason=reason,
        actor=actor,
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_RETURNS, type=event_type, occurred_at=at, detail=detail.model_dump(mode="json")
    )


class CancelledLine(BaseModel):
    model_config = ConfigDict(defer_build=True)

    line_id: str
    quantity: int


class LinesCancelledDetail(BaseModel):
    """OrderLinesCancelled: staff cancelled units of an order (``whole``: all of it) before they
    left. The channel push and the customer's email read the order; ``refund_id`` names the refund
    made with it."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    cancellation_id: str
    order_id: str
    store_id: str
    channel: str
    number: str
    status: OrderStatus
    whole: bool
    reason: str
    lines: list[CancelledLine]
    refund_id: str | None = None
    notify_customer: bool = False
    actor: str
    # SKUs of which more is available now (reservations released): orders held for them are retried.
    freed_skus: list[str] = Field(default_factory=list)
    occurred_at: UtcDateTime


def lines_cancelled_event(
    order: Order,
    cancellation_id: str,
    units: dict[str, int],
    *,
    whole: bool,
    reason: str,
    refund_id: str | None,
    notify_customer: bool,
    actor: str,
    at: datetime,
    freed_skus: list[str] | None = None,
) -> OutboxEvent:
    detail = LinesCancelledDetail(
        cancellation_id=cancellation_id,
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        status=order.status,
        whole=whole,
        reason=reason,
        lines=[CancelledLine(line_id=k, quantity=v) for k, v in sorted(units.items())],
        refund_id=refund_id,
        notify_customer=notify_customer,
        actor=actor,
        freed_skus=sorted(set(freed_skus or [])),
        occurred_at=at,
    )
    return OutboxEvent(
        id="",
        source=SOURCE_ORDERS,
        type="OrderLinesCancelled",
        occurred_at=at,
        detail=detail.model_dump(mode="json"),
    )


class EditDetail(BaseModel):
    """OrderEdited: staff edited an order before it shipped (lines added, quantities changed, the
    address); ``push`` ``pending``: the channel sync makes it on Shopify as an order edit.
    OrderEditPushed: the channel's answer (``pushed``, or ``refused`` with its words in ``message``)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    edit_id: str
    order_id: str
    store_id: str
    channel: str
    number: str
    status: OrderStatus
    push: EditPush
    added: list[str] = Field(default_factory=list)
    changed: dict[str, int] = Field(default_factory=dict)
    address_changed: bool = False
    difference: Money | None = None
    message: str
    actor: str
    occurred_at: UtcDateTime


def edit_event(kind: str, order: Order, edit: OrderEdit, actor: str, at: datetime) -> OutboxEvent:
    """``kind``: OrderEdited or OrderEditPushed."""
    detail = EditDetail(
        edit_id=edit.edit_id,
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        status=order.status,
        push=edit.push,
        added=edit.added,
        changed=edit.changed,
        address_changed=edit.address_changed,
        difference=edit.difference,
        message=edit.pushed,
        actor=actor,
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_ORDERS, type=kind, occurred_at=at, detail=detail.model_dump(mode="json")
    )


class BackorderLine(BaseModel):
    model_config = ConfigDict(defer_build=True)

    line_id: str
    sku: str | None
    name: str
    quantity: int


class BackorderDetail(BaseModel):
    """LinesBackordered: units of an order's lines wait for stock (the rest ships now);
    BackorderFilled: units that waited are reserved now (the fulfilment allocates them).
    ``remaining``: per line, what still waits. ``choice_offer``: the customer may choose (the
    customer's email carries the signed link to the offer)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    number: str
    status: OrderStatus
    lines: list[BackorderLine]
    remaining: dict[str, int] = Field(default_factory=dict)
    choice_offer: int | None = None
    occurred_at: UtcDateTime


def backorder_event(kind: str, order: Order, units: dict[str, int], at: datetime) -> OutboxEvent:
    """``kind``: LinesBackordered or BackorderFilled; ``units``: line -> units."""
    by_id = {line.line_id: line for line in order.lines}
    detail = BackorderDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        status=order.status,
        lines=[
            BackorderLine(
                line_id=k,
                sku=by_id[k].stock_item if k in by_id else None,
                name=by_id[k].name if k in by_id else k,
                quantity=v,
            )
            for k, v in sorted(units.items())
        ],
        remaining=dict(order.backordered),
        choice_offer=order.choice.offer if order.choice and order.choice.open else None,
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_ORDERS, type=kind, occurred_at=at, detail=detail.model_dump(mode="json")
    )


class ChoiceDetail(BaseModel):
    """CustomerChoiceMade: the customer of an order waiting for stock chose what happens to it
    (``by``: customer, or the store's default applied at the timeout)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    order_id: str
    store_id: str
    channel: str
    offer: int
    choice: str
    by: str
    occurred_at: UtcDateTime


class RefundDetail(BaseModel):
    """RefundCreated (status pending: to be sent to the channel; manual; channel: made in the
    channel's admin), RefundSucceeded, RefundFailed. Amounts only; the refund stays on the order."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    refund_id: str
    order_id: str
    store_id: str
    channel: str
    number: str
    status: str
    total: Money
    lines: int
    restocked: int
    notify_customer: bool
    actor: str
    # SKUs of which more is available now (restocked, or released by units the refund cancelled).
    freed_skus: list[str] = Field(default_factory=list)
    occurred_at: UtcDateTime


def refund_event(
    order: Order, refund: Refund, kind: str, at: datetime, freed_skus: list[str] | None = None
) -> OutboxEvent:
    detail = RefundDetail(
        refund_id=refund.refund_id,
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        status=refund.status.value,
        total=refund.total,
        lines=len(refund.lines),
        restocked=sum(line.restocked for line in refund.lines),
        notify_customer=refund.notify_customer,
        actor=refund.actor,
        freed_skus=sorted(set(freed_skus or [])),
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_ORDERS, type=kind, occurred_at=at, detail=detail.model_dump(mode="json")
    )


class StockEventDetail(BaseModel):
    """StockAdjusted (on-hand set by staff) and LowStock (available fell to the threshold)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    sku: str
    location: str | None = None
    on_hand: int
    reserved: int
    available: int
    previous_on_hand: int | None = None
    threshold: int | None = None
    reason: str | None = Field(default=None, description="why staff changed the count, when they said")
    occurred_at: UtcDateTime


class StockAvailableDetail(BaseModel):
    """StockAvailableChanged: a SKU's available stock (over all locations) is now ``available``.
    ``version`` counts the SKU's stock changes: a consumer that keeps the highest version it has
    applied never lets a late delivery overwrite a newer level (events are at least once and may
    arrive out of order)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    sku: str
    on_hand: int
    reserved: int
    available: int
    previous_available: int | None = None  # None: the SKU's first count
    version: int
    occurred_at: UtcDateTime


class ShipmentEventDetail(BaseModel):
    """Detail of every ``Shipment*`` event (no customer data)."""

    model_config = ConfigDict(defer_build=True)

    schema_version: Literal[1] = 1
    shipment_id: str
    order_id: str
    store_id: str
    channel: str
    number: str
    location: str
    status: str
    previous_status: str | None = None
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    problem: str | None = None
    detail: str | None = None
    source: str = "oms"  # channel: goods the channel fulfilled itself (not pushed back to it)
    labels_to_void: int = 0
    lines: list[EventLine]
    occurred_at: UtcDateTime


def order_transition_event(order: Order, entry: TimelineEntry, **extra: Any) -> OutboxEvent:
    detail = OrderEventDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        channel_order_id=order.channel_order_id,
        number=order.number,
        status=entry.to_status,
        previous_status=entry.from_status,
        reason=entry.reason,
        actor=entry.actor,
        source_event=entry.source_event,
        hold=order.hold if entry.to_status == OrderStatus.ON_HOLD else None,
        total=order.totals.total,
        lines=[EventLine(sku=line.sku, quantity=line.open_quantity) for line in order.lines],
        occurred_at=entry.at,
        **extra,
    )
    return OutboxEvent(
        id="",  # numbered when the change is committed
        source=SOURCE_ORDERS,
        type=EVENT_TYPE[entry.to_status],
        occurred_at=entry.at,
        detail=detail.model_dump(mode="json"),
    )


def order_updated_event(order: Order, changed: list[str], at: datetime) -> OutboxEvent:
    detail = OrderUpdatedDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        status=order.status,
        changed=changed,
        occurred_at=at,
    )
    return OutboxEvent(
        id="",
        source=SOURCE_ORDERS,
        type="OrderUpdated",
        occurred_at=at,
        detail=detail.model_dump(mode="json"),
    )


def numbered(events: list[OutboxEvent], prefix: str) -> list[OutboxEvent]:
    """Give each event of one committed change a stable id: ``<aggregate>:<version>:<n>``."""
    return [e.model_copy(update={"id": f"{prefix}:{i}"}) for i, e in enumerate(events)]


# The catalogue: detail-type -> (source, detail model). docs/events.md is generated from it.
CATALOGUE: dict[str, tuple[str, type[BaseModel], str]] = {
    **{
        EVENT_TYPE[s]: (SOURCE_ORDERS, OrderEventDetail, f"An order arrived in status `{s.value}`.")
        for s in OrderStatus
    },
    "OrderUpdated": (SOURCE_ORDERS, OrderUpdatedDetail, "The channel changed an order's content."),
    "OrderNoteAdded": (
        SOURCE_ORDERS,
        OrderNoteDetail,
        "Staff wrote a note on an order (internal or for the customer).",
    ),
    "OrderTagsChanged": (SOURCE_ORDERS, OrderTagsDetail, "Staff added or removed tags on an order."),
    "ReturnRequested": (
        SOURCE_RETURNS,
        ReturnDetail,
        "A return was asked for (by staff, or by the customer on the returns page).",
    ),
    "ReturnApproved": (
        SOURCE_RETURNS,
        ReturnDetail,
        "A return was approved (with a label to send it back, or none).",
    ),
    "ReturnDeclined": (SOURCE_RETURNS, ReturnDetail, "A return was declined (`reason` says why)."),
    "ReturnInTransit": (SOURCE_RETURNS, ReturnDetail, "The carrier has the returned parcel."),
    "ReturnReceived": (
        SOURCE_RETURNS,
        ReturnDetail,
        "The warehouse counted returned units in: restocked (`freed_skus`), damaged or missing.",
    ),
    "ReturnRefunded": (
        SOURCE_RETURNS,
        ReturnDetail,
        "A return's refund was recorded (`refund_id`, `refunded`).",
    ),
    "ReturnArrived": (SOURCE_RETURNS, ReturnDetail, "The carrier delivered the returned parcel to us."),
    "ReturnExchanged": (
        SOURCE_RETURNS,
        ReturnDetail,
        "An exchange is settled: its replacement ships (the difference refunded, if any).",
    ),
    "ExchangeCreated": (
        SOURCE_RETURNS,
        ReturnDetail,
        "An exchange's replacement order was made, its stock reserved (`replacement_order_id`;"
        " `exchange_owed`: what the customer pays on top).",
    ),
    "ExchangePaid": (SOURCE_RETURNS, ReturnDetail, "The customer paid what an exchange owed."),
    "ClaimOpened": (
        SOURCE_ORDERS,
        ClaimDetail,
        "Units arrived missing, wrong or damaged: sent again (`replacement_order_id`) or refunded.",
    ),
    "ReturnClosed": (SOURCE_RETURNS, ReturnDetail, "A return is settled: nothing more will happen to it."),
    "ReturnCancelled": (SOURCE_RETURNS, ReturnDetail, "A return was cancelled before it was received."),
    "OrderRedacted": (
        SOURCE_ORDERS,
        OrderRedactedDetail,
        "An order's personal data was erased (an erasure request, or the store's retention period).",
    ),
    "OrderLinesCancelled": (
        SOURCE_ORDERS,
        LinesCancelledDetail,
        "Staff cancelled an order, or units of its lines, before they left (pushed to the channel).",
    ),
    "OrderEdited": (
        SOURCE_ORDERS,
        EditDetail,
        "Staff edited an order before it shipped (`push: pending`: it is being made on Shopify too).",
    ),
    "OrderEditPushed": (
        SOURCE_ORDERS,
        EditDetail,
        "The channel's answer to an edit pushed to it: `pushed`, or `refused` with its words.",
    ),
    "LinesBackordered": (
        SOURCE_ORDERS,
        BackorderDetail,
        "Units of an order wait for stock (store setting `backorders: ship_available`); the rest ships now.",
    ),
    "BackorderFilled": (
        SOURCE_ORDERS,
        BackorderDetail,
        "Backordered units were reserved when stock arrived; the fulfilment allocates them.",
    ),
    "CustomerChoiceMade": (
        SOURCE_ORDERS,
        ChoiceDetail,
        "The customer (or, at the timeout, the store's default) chose what becomes of an order waiting.",
    ),
    "RefundCreated": (
        SOURCE_ORDERS,
        RefundDetail,
        "A refund was recorded: `pending` (to be made on the channel), `manual` (money returned by hand).",
    ),
    "RefundSucceeded": (SOURCE_ORDERS, RefundDetail, "The channel confirmed a pending refund (money left)."),
    "RefundFailed": (
        SOURCE_ORDERS,
        RefundDetail,
        "The channel refused a pending refund, or kept failing: no money moved.",
    ),
    "ShipmentCreated": (SOURCE_SHIPMENTS, ShipmentEventDetail, "Lines were allocated to a location to ship."),
    "ShipmentPacked": (SOURCE_SHIPMENTS, ShipmentEventDetail, "Staff packed a shipment."),
    "ShipmentLabelCreated": (
        SOURCE_SHIPMENTS,
        ShipmentEventDetail,
        "A label was bought or tracking entered.",
    ),
    "ShipmentShipped": (SOURCE_SHIPMENTS, ShipmentEventDetail, "A shipment left; its stock is committed."),
    "ShipmentInTransit": (
        SOURCE_SHIPMENTS,
        ShipmentEventDetail,
        "The carrier scanned the parcel in transit.",
    ),
    "ShipmentOutForDelivery": (SOURCE_SHIPMENTS, ShipmentEventDetail, "The parcel is out for delivery."),
    "ShipmentDelivered": (SOURCE_SHIPMENTS, ShipmentEventDetail, "The carrier delivered the parcel."),
    "ShipmentException": (
        SOURCE_SHIPMENTS,
        ShipmentEventDetail,
        "A delivery problem: failed attempt, returned to sender, no scan for days.",
    ),
    "ShipmentCancelled": (SOURCE_SHIPMENTS, ShipmentEventDetail, "A shipment was cancelled before it left."),
    "ShipmentChanged": (
        SOURCE_SHIPMENTS,
        ShipmentEventDetail,
        "A shipment that has not left carries fewer lines (the order changed); its label is voided.",
    ),
    "StockAdjusted": (SOURCE_STOCK, StockEventDetail, "Staff set the on-hand count of a SKU at a location."),
    "LowStock": (SOURCE_STOCK, StockEventDetail, "A SKU's available stock fell to its threshold."),
    "StockAvailableChanged": (
        SOURCE_STOCK,
        StockAvailableDetail,
        "A SKU's available stock changed (reserved, released, committed, counted, restocked),"
        " with a version that orders its changes.",
    ),
}
