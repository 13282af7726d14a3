"""Returns: what a customer sends back, under the store's return policy (oms.models.ReturnPolicy).

Rules, as pure functions over the order, its shipments and its returns:

- **What may come back.** Per line, the units that left (shipped) less those in other returns
  that still count (requested to closed); within the store's return window from delivery (or from
  shipping, for an order not delivered yet); never a final-sale SKU. Staff may override the window
  and final sale with a reason the timeline keeps; never the quantity (409
  ``quantity_exceeds_shipped``). The order keeps each line's returned units (``Order.returned``), so
  two returns made at once for one line meet on the order's version.
- **Receiving.** Per line, units are restocked at a location (back on hand, once), written off as
  damaged (recorded with the reason; they do not come back on hand) or recorded missing.
- **Refund.** What the returned units were paid (price less discounts, with tax, as the channel
  charged it), for the units received (or, refunding before receipt, the units asked) that are not
  refunded already, less the reason's restocking fee (a percentage), the label's cost when the
  reason's return shipping is the customer's (in the order's currency only: amounts in two
  currencies are never netted) and an exchange's replacements; never below zero, never above what
  those units were paid.
- **Exchanges.** Replacements (any SKU) priced by staff, or, unpriced, a like-for-like swap worth
  what the returned units were paid. The difference is owed by the customer (the replacement waits
  for it) or refunded with the return.
- **Tracking.** The return parcel's first scan puts the return in transit; its delivery scan marks
  it arrived (the warehouse still counts it in).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from oms.cancellation import line_states
from oms.errors import Conflict, ValidationFailed
from oms.models import Model, Order, ReturnPolicy, ReturnReason
from oms.money import Money
from oms.order_changes import Actor, MoveKind, StockMove
from oms.refunds import line_value, refunded_units, share
from oms.return_lifecycle import ReturnStatus, check_transition
from oms.shipments import Label, Shipment, ShipmentStatus, Tracking, TrackingEvent
from oms.timeutil import UtcDateTime

Disposition = Literal["restock", "damaged", "missing"]


class ReturnLine(Model):
    line_id: str
    sku: str | None = None
    name: str
    quantity: int = Field(ge=1)
    reason: str
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None
    unit_paid: Money  # what one unit was paid (price less discounts, with tax)
    received: int = 0  # units counted in, of which:
    restocked: int = 0
    damaged: int = 0
    missing: int = 0  # counted as not in the parcel
    location_id: str | None = None  # where restocked units went

    @property
    def counted(self) -> int:
        return self.restocked + self.damaged + self.missing


class ExchangeLine(Model):
    """A replacement the customer wants instead of money (another size, any SKU)."""

    sku: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    name: str | None = None
    quantity: int = Field(ge=1)
    unit_price: Money | None = None  # None: a like-for-like swap


class ReturnEntry(Model):
    at: UtcDateTime
    from_status: ReturnStatus | None = None
    to_status: ReturnStatus
    reason: str | None = None
    actor: str


class Return(Model):
    return_id: str
    order_id: str
    store_id: str
    channel: str
    number: str  # the order's display number
    status: ReturnStatus
    lines: list[ReturnLine]
    exchange: list[ExchangeLine] = Field(default_factory=list)
    source: Literal["staff", "customer", "channel"] = "staff"
    override: str | None = None  # why staff let it past the policy
    declined_reason: str | None = None
    label: Label | None = None
    tracking: Tracking = Field(default_factory=Tracking)
    arrived_at: UtcDateTime | None = None  # the carrier delivered the parcel to us
    # The exchange: the order that ships the replacements, what the customer owes for them (the
    # replacement waits until it is paid) and the SKUs that were short (refunded instead).
    replacement_order_id: str | None = None
    exchange_owed: Money | None = None
    exchange_paid_at: UtcDateTime | None = None
    exchange_short: list[str] = Field(default_factory=list)
    refund_id: str | None = None
    refunded: Money | None = None
    fee: Money | None = None  # restocking fee kept
    shipping_deduction: Money | None = None  # the label's cost, when return shipping is the customer's
    written_off: list[str] = Field(default_factory=list)  # "<n> x <sku>: damaged in return <id>"
    timeline: list[ReturnEntry] = Field(default_factory=list)
    version: int = 0
    created_at: UtcDateTime
    updated_at: UtcDateTime

    def line(self, line_id: str) -> ReturnLine | None:
        return next((x for x in self.lines if x.line_id == line_id), None)

    @property
    def fully_counted(self) -> bool:
        return all(x.counted >= x.quantity for x in self.lines)


# ---------------------------------------------------------------------------------- asks


@dataclass(frozen=True)
class ExchangeAsk:
    """A replacement asked for: priced in the order's currency, or not at all (a swap)."""

    sku: str
    quantity: int
    name: str | None = None
    unit_price: Decimal | None = None


class LineReturn(Model):
    line_id: str
    quantity: int = Field(ge=1)
    reason: str
    note: str | None = None


class LineReceipt(Model):
    line_id: str
    quantity: int = Field(ge=1)
    disposition: Disposition
    location_id: str | None = None


# ---------------------------------------------------------------------------------- rules


def reason_of(policy: ReturnPolicy, code: str) -> ReturnReason | None:
    return next((r for r in policy.reasons if r.code == code), None)


def final_sale(policy: ReturnPolicy, sku: str | None) -> bool:
    if not sku:
        return False
    return sku in policy.final_sale_skus or any(sku.startswith(p) for p in policy.final_sale_sku_prefixes)


def restocked_by_refunds(order: Order) -> dict[str, int]:
    """Per line, shipped units a refund put back on hand (they came back without a return)."""
    back: dict[str, int] = {}
    for refund in order.refunds:
        for line in refund.lines:
            if line.restocked:
                back[line.line_id] = back.get(line.line_id, 0) + line.restocked
    return back


def returnable(order: Order, shipments: list[Shipment]) -> dict[str, int]:
    """Per line, the units that left and are in no return yet (nor restocked by a refund)."""
    states = line_states(order, shipments)
    taken, back = order.returned, restocked_by_refunds(order)
    return {
        line_id: max(0, state.shipped - taken.get(line_id, 0) - back.get(line_id, 0))
        for line_id, state in states.items()
    }


def window_closes(order: Order, shipments: list[Shipment], window_days: int) -> datetime | None:
    """When the return window closes: ``window_days`` after delivery (or after the last shipment
    left, for an order not delivered yet); None when nothing has left."""
    start = order.delivered_at or max((s.shipped_at for s in shipments if s.shipped_at), default=None)
    return start + timedelta(days=window_days) if start else None


def plan_lines(
    order: Order,
    shipments: list[Shipment],
    asks: list[LineReturn],
    policy: ReturnPolicy,
    *,
    window_days: int,
    now: datetime,
    override: str | None,
) -> list[ReturnLine]:
    """The return's lines, checked against the policy: 422 for what the order does not have, 409
    ``return_window_closed`` / ``final_sale`` (staff may override, with a reason) and
    ``quantity_exceeds_shipped`` (nobody may)."""
    if not asks:
        raise ValidationFailed(
            "a return needs at least one line", code="empty_return", details=[{"field": "lines"}]
        )
    closes = window_closes(order, shipments, window_days)
    if closes is None:
        raise Conflict("nothing of this order has shipped yet: cancel it instead", code="nothing_shipped")
    if now > closes and not override:
        raise Conflict(
            f"the return window closed on {closes:%Y-%m-%d}",
            code="return_window_closed",
            details=[{"closed_at": closes.isoformat()}],
        )
    left = returnable(order, shipments)
    asked = Counter[str]()
    lines = []
    for i, ask in enumerate(asks):
        line = order.line(ask.line_id)
        if line is None:
            raise ValidationFailed(
                f"order {order.order_id} has no line {ask.line_id!r}",
                code="unknown_line",
                details=[{"field": f"lines[{i}].line_id"}],
            )
        if reason_of(policy, ask.reason) is None:
            raise ValidationFailed(
                f"{ask.reason!r} is not one of the store's return reasons",
                code="unknown_reason",
                details=[{"field": f"lines[{i}].reason", "reasons": [r.code for r in policy.reasons]}],
            )
        if final_sale(policy, line.sku) and not override:
            raise Conflict(
                f"{line.name} was a final sale", code="final_sale", details=[{"field": f"lines[{i}]"}]
            )
        asked[ask.line_id] += ask.quantity
        if asked[ask.line_id] > left.get(ask.line_id, 0):
            raise Conflict(
                f"line {ask.line_id}: {left.get(ask.line_id, 0)} shipped unit(s) are left to return",
                code="quantity_exceeds_shipped",
                details=[{"field": f"lines[{i}].quantity", "returnable": left.get(ask.line_id, 0)}],
            )
        value, _ = line_value(order, line)
        lines.append(
            ReturnLine(
                line_id=line.line_id,
                sku=line.stock_item or line.sku,
                name=line.name,
                quantity=ask.quantity,
                reason=ask.reason,
                note=ask.note,
                unit_paid=share(value, 1, line.quantity),
            )
        )
    return lines


def auto_approves(policy: ReturnPolicy, lines: list[ReturnLine], within_window: bool) -> bool:
    """The store approves it without staff: its policy says so, in the window, and no line's
    reason asks for a person (``review_reasons``, e.g. damaged)."""
    return policy.auto_approve and within_window and not any(x.reason in policy.review_reasons for x in lines)


def move(ret: Return, to: ReturnStatus, actor: Actor, *, reason: str | None = None) -> Return:
    check_transition(ret.status, to)
    entry = ReturnEntry(at=actor.at, from_status=ret.status, to_status=to, reason=reason, actor=actor.name)
    return ret.model_copy(update={"status": to, "timeline": [*ret.timeline, entry], "updated_at": actor.at})


def receive_lines(ret: Return, receipts: list[LineReceipt], default_location: str | None) -> Return:
    """The counted units on the return's lines (422 for a line it does not have, 409 for more than
    it still expects)."""
    lines = {x.line_id: x for x in ret.lines}
    for i, receipt in enumerate(receipts):
        line = lines.get(receipt.line_id)
        if line is None:
            raise ValidationFailed(
                f"return {ret.return_id} has no line {receipt.line_id!r}",
                code="unknown_line",
                details=[{"field": f"lines[{i}].line_id"}],
            )
        if line.counted + receipt.quantity > line.quantity:
            raise Conflict(
                f"line {line.line_id}: {line.quantity - line.counted} unit(s) are still expected",
                code="quantity_exceeds_returned",
                details=[{"field": f"lines[{i}].quantity", "expected": line.quantity - line.counted}],
            )
        update: dict[str, object] = {}
        if receipt.disposition == "restock":
            location = receipt.location_id or line.location_id or default_location
            if location is None:
                raise ValidationFailed(
                    f"say where line {line.line_id} is restocked (location_id)",
                    code="location_required",
                    details=[{"field": f"lines[{i}].location_id"}],
                )
            if line.location_id and line.location_id != location:
                raise Conflict(
                    f"line {line.line_id} is restocked at {line.location_id} already",
                    code="one_location_per_line",
                    details=[{"field": f"lines[{i}].location_id"}],
                )
            update = {"restocked": line.restocked + receipt.quantity, "location_id": location}
        elif receipt.disposition == "damaged":
            update = {"damaged": line.damaged + receipt.quantity}
        else:
            update = {"missing": line.missing + receipt.quantity}
        if receipt.disposition != "missing":
            update["received"] = line.received + receipt.quantity
        lines[line.line_id] = line.model_copy(update=update)
    return ret.model_copy(update={"lines": [lines[x.line_id] for x in ret.lines]})


@dataclass(frozen=True)
class Counted:
    """What counting units in does to stock: the moves (restocked units on hand at their location
    and in the SKU's total), the SKUs freed, the words for what was written off or missing."""

    moves: list[StockMove]
    freed: list[str]
    written_off: list[str]


def receipt_moves(before: Return, after: Return) -> Counted:
    """The stock moves of the units ``after`` counted in since ``before``: restocked units back on
    hand at their location, once (a line's count only grows); damaged and missing units move no
    stock (written off: they were taken off on hand when they shipped)."""
    moves: list[StockMove] = []
    freed: set[str] = set()
    written: list[str] = []
    for old, new in zip(before.lines, after.lines, strict=True):
        restocked = new.restocked - old.restocked
        if restocked and new.sku and new.location_id:
            moves += [
                StockMove(new.sku, restocked, MoveKind.RESTOCK),
                StockMove(new.sku, restocked, MoveKind.RESTOCK, new.location_id),
            ]
            freed.add(new.sku)
        if new.damaged > old.damaged:
            written.append(f"{new.damaged - old.damaged} x {new.sku or new.name}: damaged, written off")
        if new.missing > old.missing:
            written.append(f"{new.missing - old.missing} x {new.sku or new.name}: missing from the parcel")
    return Counted(moves, sorted(freed), written)


class RefundDue(Model):
    """What a return refunds: units per line, what they were paid, and what is kept back."""

    units: dict[str, int]
    paid: Money
    fee: Money  # the reasons' restocking fees
    shipping: Money  # the label, when return shipping is the customer's
    exchanged: Money  # the replacements' worth, kept for them

    @property
    def kept(self) -> Money:
        return self.fee + self.shipping + self.exchanged


def returned_value(ret: Return) -> Money:
    """What the return's units were paid, all of them."""
    currency = ret.lines[0].unit_paid.currency
    return Money.model_construct(
        amount=sum((x.unit_paid.amount * x.quantity for x in ret.lines), Decimal(0)), currency=currency
    )


def exchange_value(ret: Return) -> Money:
    """What the replacements are worth: their prices, or, unpriced, what the returned units were
    paid (a like-for-like swap)."""
    if not ret.exchange:
        return Money.zero(ret.lines[0].unit_paid.currency)
    if any(x.unit_price is None for x in ret.exchange):
        return returned_value(ret)
    currency = ret.lines[0].unit_paid.currency
    return Money.model_construct(
        amount=sum((x.unit_price.amount * x.quantity for x in ret.exchange if x.unit_price), Decimal(0)),
        currency=currency,
    )


def check_exchange(ret: Return, currency: str) -> None:
    """Replacements are all priced (in the order's currency) or none is (a swap): 422 otherwise."""
    priced = [x.unit_price for x in ret.exchange if x.unit_price is not None]
    if priced and len(priced) != len(ret.exchange):
        raise ValidationFailed(
            "price every replacement, or none (a like-for-like swap)",
            code="exchange_price_required",
            details=[{"field": "exchange"}],
        )
    if any(p.currency != currency for p in priced):
        raise ValidationFailed(
            f"replacements are priced in the order's currency, {currency}",
            code="currency_mismatch",
            details=[{"field": "exchange"}],
        )


def exchange_owed(ret: Return) -> Money:
    """What the customer owes for replacements worth more than what comes back (zero or more)."""
    owed = exchange_value(ret) - returned_value(ret)
    return owed if owed.amount > 0 else Money.zero(owed.currency)


def refund_due(ret: Return, order: Order, policy: ReturnPolicy, *, before_receipt: bool) -> RefundDue:
    """What the return refunds: per line the units (received, or asked when refunding before the
    parcel is in) not refunded already; kept back: the restocking fee, the return shipping the
    customer pays (the label's cost, when a reason says it is theirs and it is in the order's
    currency) and the replacements an exchange sends. What is kept never exceeds what is paid."""
    zero = Money.zero(order.currency)
    units: dict[str, int] = {}
    fee = paid = zero
    customer_pays = False
    for line in ret.lines:
        asked = line.quantity if before_receipt else line.received
        order_line = order.line(line.line_id)
        left = order_line.quantity - refunded_units(order, line.line_id) if order_line else 0
        n = min(asked, left)
        if n <= 0:
            continue
        units[line.line_id] = n
        value = Money.model_construct(amount=line.unit_paid.amount * n, currency=order.currency)
        paid = paid + value
        reason = reason_of(policy, line.reason)
        percent = reason.restocking_fee_percent if reason else Decimal(0)
        fee = fee + share(value, int(percent * 100), 10_000)
        customer_pays = customer_pays or bool(reason and reason.customer_pays_shipping)
    cost = ret.label.cost if ret.label else None
    shipping = cost if customer_pays and cost and cost.currency == order.currency else zero
    exchanged = zero if ret.exchange_short or not ret.replacement_order_id else exchange_value(ret)
    fee = min(fee, paid, key=lambda m: m.amount)
    shipping = min(shipping, paid - fee, key=lambda m: m.amount)
    exchanged = min(exchanged, paid - fee - shipping, key=lambda m: m.amount)
    return RefundDue(units=units, paid=paid, fee=fee, shipping=shipping, exchanged=exchanged)


# ---------------------------------------------------------------------------------- tracking

_MOVING = frozenset(
    {
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.EXCEPTION,
    }
)
GIVE_UP_AFTER = timedelta(days=60)  # a label never used: stop asking the carrier


def track(
    ret: Return, events: list[TrackingEvent], estimated: datetime | None, now: datetime, actor: Actor
) -> tuple[Return, list[str]]:
    """The return after one tracking check: new scans kept once; the first scan moves it to
    in_transit, the delivery scan marks it arrived. Also the event types that emits."""
    seen = {e.key for e in ret.tracking.events}
    new = sorted((e for e in events if e.key not in seen), key=lambda e: e.at)
    emitted: list[str] = []
    updated = ret
    for event in new:
        if event.status in _MOVING and updated.status == ReturnStatus.APPROVED:
            updated = move(
                updated,
                ReturnStatus.IN_TRANSIT,
                Actor(actor.name, actor.source_event, event.at),
                reason=event.description,
            )
            emitted.append("ReturnInTransit")
        if event.status == ShipmentStatus.DELIVERED and updated.arrived_at is None:
            entry = ReturnEntry(
                at=event.at,
                from_status=updated.status,
                to_status=updated.status,
                reason=f"arrived: {event.description}",
                actor=actor.name,
            )
            updated = updated.model_copy(
                update={"arrived_at": event.at, "timeline": [*updated.timeline, entry]}
            )
            emitted.append("ReturnArrived")
    all_events = sorted([*ret.tracking.events, *new], key=lambda e: e.at)
    waiting = (
        updated.status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT) and updated.arrived_at is None
    )
    fresh = now - ret.created_at < GIVE_UP_AFTER
    if not (waiting and fresh):
        due = None
    elif all_events and all_events[-1].status == ShipmentStatus.OUT_FOR_DELIVERY:
        due = now + timedelta(hours=1)
    else:
        due = now + timedelta(hours=6 if all_events else 12)
    tracking = ret.tracking.model_copy(
        update={
            "events": all_events,
            "checks": ret.tracking.checks + 1,
            "failed_checks": 0,
            "last_checked_at": now,
            "last_event_at": all_events[-1].at if all_events else None,
            "estimated_delivery": estimated or ret.tracking.estimated_delivery,
            "next_check_at": due,
        }
    )
    return updated.model_copy(update={"tracking": tracking, "updated_at": now}), emitted


def defer_tracking(ret: Return, now: datetime) -> Return:
    """The carrier could not be asked: again later, backing off (1, 2, 4 ... 12 hours)."""
    failed = ret.tracking.failed_checks + 1
    due = now + timedelta(hours=min(2 ** (failed - 1), 12))
    tracking = ret.tracking.model_copy(update={"failed_checks": failed, "next_check_at": due})
    return ret.model_copy(update={"tracking": tracking, "updated_at": now})
