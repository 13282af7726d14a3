"""Refund rules: what a refund gives back, what it may give back, what it does to the order: pure.

**Amounts come from what the channel charged.** A line's value is its price times its quantity,
less its share of every discount, plus its taxes (already inside the price when the store's prices
include tax), as the channel reported them. ``k`` units of a line refunded after ``r`` are worth
``round(value * (r + k) / q) - round(value * r / q)`` in the currency's minor unit: refunding a line
unit by unit gives back exactly its value, in any currency (JPY has no minor unit, KWD three).

**Never more than was captured.** Refunds that count (all but failed ones) never add up to more
than the order's captured amount: the order's version condition makes concurrent refunds see each
other, so the check holds under any concurrency.

**Units.** The units of a refunded line are taken, in order, from those already cancelled, then
from those not yet shipped (cancelled now: they will not ship, their stock is released), then from
those that shipped (restocked when asked: back on hand at a location, once, with the refund).

**Status follows the money**: everything captured refunded is ``refunded`` (what had not shipped
is released); part of it, ``partially_refunded`` (fulfilment carries on from there). A held order
keeps its hold, and an order that cannot move (cancelled) keeps its status: the refund is on its
timeline either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from oms.cancellation import LineState, line_states
from oms.domain_events import OutboxEvent, refund_event
from oms.errors import Conflict, ValidationFailed
from oms.models import (
    LineItem,
    Order,
    PaymentStatus,
    Refund,
    RefundLine,
    RefundStatus,
    TimelineEntry,
)
from oms.money import Money, minor_unit_exponent
from oms.order_changes import Actor, MoveKind, StockMove, freed_skus, transition
from oms.order_lifecycle import OrderStatus, can_transition
from oms.order_reconciliation import NO_LOCATION
from oms.shipments import LEFT, Shipment

CAPTURED = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})


@dataclass(frozen=True)
class LineAsk:
    line_id: str
    quantity: int
    restock: bool = False
    location_id: str | None = None


@dataclass(frozen=True)
class RefundAsk:
    """What staff ask for (oms.admin_requests.RefundRequest, in plain terms)."""

    lines: list[LineAsk]
    shipping: Decimal | str | None  # an amount, or "full": what is left of the shipping charged
    amount: Decimal | None  # goodwill beyond lines and shipping
    reason: str
    note: str | None = None
    notify_customer: bool = True
    # Kept back from the lines' value (a return's restocking fee and the label the customer pays).
    deduction: Decimal | None = None


def share(value: Money, part: int, whole: int) -> Money:
    """``value * part / whole``, rounded half-even to the currency's minor unit."""
    if whole <= 0:
        return Money.zero(value.currency)
    quantum = Decimal(1).scaleb(-minor_unit_exponent(value.currency))
    amount = (value.amount * part / whole).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return Money.model_construct(amount=amount, currency=value.currency)


def line_value(order: Order, line: LineItem) -> tuple[Money, Money]:
    """What the whole line was paid (price x quantity - discounts + tax) and the tax within it."""
    zero = Money.zero(order.currency)
    net = line.line_total - (line.discount or zero)
    tax = line.tax or zero
    return (net if order.taxes_included else net + tax), tax


def captured(order: Order) -> Money:
    """What the customer paid (authorized only, pending, voided: nothing to refund)."""
    if order.payment_status in CAPTURED:
        return order.totals.total
    if order.payment_status == PaymentStatus.PARTIALLY_PAID and order.totals.outstanding is not None:
        return order.totals.total - order.totals.outstanding
    return Money.zero(order.currency)


def _counting(order: Order) -> list[Refund]:
    return [r for r in order.refunds if r.counts]


def refunded(order: Order) -> Money:
    return sum((r.total for r in _counting(order)), Money.zero(order.currency))


def refunded_units(order: Order, line_id: str) -> int:
    return sum(ln.quantity for r in _counting(order) for ln in r.lines if ln.line_id == line_id)


def returned(order: Order) -> Money:
    """Money that has left (settled refunds: confirmed, by hand, or made in the channel)."""
    settled = [r for r in order.refunds if r.status not in (RefundStatus.FAILED, RefundStatus.PENDING)]
    return sum((r.total for r in settled), Money.zero(order.currency))


def find_refund(order: Order, refund_id: str) -> Refund | None:
    return next((r for r in order.refunds if r.refund_id == refund_id), None)


def _money(value: Decimal, currency: str, field_name: str) -> Money:
    try:
        money = Money.of(value, currency)
    except ValueError as error:
        raise ValidationFailed(
            f"{field_name}: {error}", code="invalid_amount", details=[{"field": field_name}]
        ) from error
    if money.amount < 0:
        raise ValidationFailed(
            f"{field_name} must not be negative", code="invalid_amount", details=[{"field": field_name}]
        )
    return money


@dataclass
class RefundPlan:
    refund: Refund
    cancel: dict[str, int] = field(default_factory=dict)  # line -> unshipped units it cancels
    moves: list[StockMove] = field(default_factory=list)  # restocks


def plan_refund(
    order: Order,
    shipments: list[Shipment],
    ask: RefundAsk,
    *,
    refund_id: str,
    status: RefundStatus,
    actor: Actor,
    locations: set[str],
) -> RefundPlan:
    """The refund ``ask`` describes, checked (422 for what the order does not have, 409 for more
    than may be refunded), with the units it cancels and the stock it puts back."""
    zero = Money.zero(order.currency)
    states = line_states(order, shipments)
    cancel: dict[str, int] = {}
    moves: list[StockMove] = []
    lines: list[RefundLine] = []
    seen: set[str] = set()
    for i, ask_line in enumerate(ask.lines):
        if ask_line.line_id in seen:
            raise ValidationFailed(
                f"line {ask_line.line_id} is named twice",
                code="duplicate_line",
                details=[{"field": f"lines[{i}]"}],
            )
        seen.add(ask_line.line_id)
        lines.append(
            _refund_line(order, shipments, states, ask_line, f"lines[{i}]", locations, cancel, moves)
        )
    shipping = _shipping(order, ask.shipping)
    extra = _money(ask.amount, order.currency, "amount") if ask.amount is not None else zero
    gross = sum((ln.amount for ln in lines), zero) + shipping + extra
    deducted = _money(ask.deduction, order.currency, "deduction") if ask.deduction else zero
    if deducted.amount < 0 or deducted.amount > gross.amount:
        raise ValidationFailed(
            f"a deduction of {deducted} is more than the refund's {gross}",
            code="deduction_exceeds_refund",
            details=[{"field": "deduction"}],
        )
    total = gross - deducted
    if not lines and total.amount == 0:
        raise ValidationFailed(
            "a refund needs lines, shipping or an amount", code="empty_refund", details=[{"field": "lines"}]
        )
    limit = captured(order) - refunded(order)
    if total.amount > limit.amount:
        raise Conflict(
            f"{total} is more than is left to refund ({limit} of {captured(order)} captured)",
            code="refund_exceeds_captured",
            details=[
                {
                    "captured": str(captured(order).amount),
                    "refunded": str(refunded(order).amount),
                    "requested": str(total.amount),
                }
            ],
        )
    refund = Refund(
        refund_id=refund_id,
        status=status,
        lines=lines,
        shipping=shipping,
        extra=extra,
        deducted=deducted if deducted.amount else None,
        total=total,
        reason=ask.reason,
        note=ask.note,
        notify_customer=ask.notify_customer,
        actor=actor.name,
        created_at=actor.at,
        updated_at=actor.at,
    )
    return RefundPlan(refund=refund, cancel=cancel, moves=moves)


def _refund_line(
    order: Order,
    shipments: list[Shipment],
    states: dict[str, LineState],
    ask: LineAsk,
    where: str,
    locations: set[str],
    cancel: dict[str, int],
    moves: list[StockMove],
) -> RefundLine:
    """One line of a refund: its amount, the units it cancels (into ``cancel``) and the stock it
    restocks (into ``moves``)."""
    line, state = order.line(ask.line_id), states.get(ask.line_id)
    if line is None or state is None:
        raise ValidationFailed(
            f"order {order.order_id} has no line {ask.line_id!r}",
            code="unknown_line",
            details=[{"field": f"{where}.line_id"}],
        )
    before, k = refunded_units(order, line.line_id), ask.quantity
    if before + k > line.quantity:
        raise Conflict(
            f"line {line.line_id} has {line.quantity - before} unit(s) left to refund; {k} asked",
            code="quantity_exceeds_refundable",
            details=[{"field": f"{where}.quantity", "refundable": line.quantity - before}],
        )
    from_gone = min(k, max(0, state.gone - before))
    from_unsent = min(k - from_gone, state.unsent)
    from_shipped = k - from_gone - from_unsent
    restocked, location = 0, None
    if ask.restock and from_shipped and line.stock_item:
        location = _restock_location(order, shipments, state, ask, where, locations, from_shipped)
        restocked = from_shipped
        moves += [
            StockMove(line.stock_item, restocked, MoveKind.RESTOCK),
            StockMove(line.stock_item, restocked, MoveKind.RESTOCK, location),
        ]
    if from_unsent:
        cancel[line.line_id] = from_unsent
    value, tax = line_value(order, line)
    return RefundLine(
        line_id=line.line_id,
        quantity=k,
        amount=share(value, before + k, line.quantity) - share(value, before, line.quantity),
        tax=share(tax, before + k, line.quantity) - share(tax, before, line.quantity),
        restock=ask.restock,
        location_id=location,
        cancelled=from_unsent,
        shipped=from_shipped,
        restocked=restocked,
    )


def _restock_location(
    order: Order,
    shipments: list[Shipment],
    state: LineState,
    ask: LineAsk,
    where: str,
    locations: set[str],
    units: int,
) -> str:
    """Where shipped units of a line go back on hand: the location asked, else where they left;
    never more units than shipped, over all the line's refunds."""
    location = ask.location_id or _shipped_from(shipments, ask.line_id)
    if location is None:
        raise ValidationFailed(
            f"line {ask.line_id} left through the channel, from no location of ours:"
            " say where it is restocked (location_id)",
            code="location_required",
            details=[{"field": f"{where}.location_id"}],
        )
    if location not in locations:
        raise ValidationFailed(
            f"unknown location {location!r}",
            code="unknown_location",
            details=[{"field": f"{where}.location_id"}],
        )
    already = sum(ln.restocked for r in order.refunds for ln in r.lines if ln.line_id == ask.line_id)
    # Units in returns come back (and are restocked) through their return: not here as well.
    already += order.returned.get(ask.line_id, 0)
    if already + units > state.shipped:
        raise Conflict(
            f"line {ask.line_id}: {state.shipped - already} shipped unit(s) are left to restock",
            code="restock_exceeds_shipped",
            details=[{"field": f"{where}.restock"}],
        )
    return location


def _shipping(order: Order, asked: Decimal | str | None) -> Money:
    """Shipping to refund: "full" is what is left of what was charged; never more than that."""
    zero = Money.zero(order.currency)
    left = order.totals.shipping - sum((r.shipping for r in _counting(order)), zero)
    if asked == "full":
        return left
    if asked is None:
        return zero
    shipping = _money(Decimal(asked), order.currency, "shipping")
    if shipping.amount > left.amount:
        raise Conflict(
            f"{left} of shipping is left to refund; {shipping} asked",
            code="shipping_exceeds_charged",
            details=[{"field": "shipping", "refundable": str(left.amount)}],
        )
    return shipping


def _shipped_from(shipments: list[Shipment], line_id: str) -> str | None:
    """The location a line's stock last left from (None: it left through the channel)."""
    for shipment in sorted(shipments, key=lambda s: s.updated_at, reverse=True):
        carried = any(ln.line_id == line_id and ln.holds_stock for ln in shipment.lines)
        if carried and shipment.status in LEFT and shipment.location != NO_LOCATION:
            return shipment.location
    return None


def _follow_money(order: Order, words: str, actor: Actor) -> tuple[Order, list[OutboxEvent]]:
    """The order's payment status and status after what has been refunded (see the module): an
    order still holding stock is only partially refunded whatever the money says."""
    full = captured(order).amount > 0 and returned(order).amount >= captured(order).amount
    after = order.model_copy(
        update={"payment_status": PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED}
    )
    target = (
        OrderStatus.REFUNDED if full and not after.reservation.holds_stock else OrderStatus.PARTIALLY_REFUNDED
    )
    keeps = after.status == OrderStatus.ON_HOLD and target != OrderStatus.REFUNDED
    if not keeps and after.status != target and can_transition(after.status, target):
        moved, event = transition(after, target, actor, reason=words)
        return moved, [event]
    return noted(after, words, actor), []


def noted(order: Order, words: str, actor: Actor) -> Order:
    """The order with a timeline entry that does not move its status."""
    entry = TimelineEntry(
        at=actor.at,
        from_status=order.status,
        to_status=order.status,
        reason=words[:500],
        actor=actor.name,
        source_event=actor.source_event,
    )
    return order.model_copy(update={"timeline": [*order.timeline, entry], "updated_at": actor.at})


def with_refund(
    order: Order, refund: Refund, actor: Actor, *, freed: list[str] | None = None
) -> tuple[Order, list[OutboxEvent]]:
    """The order with the refund recorded: on its list and timeline; a refund recorded by hand
    moves the order's status with the money at once, one sent to the channel once it confirms."""
    after = order.model_copy(update={"refunds": [*order.refunds, refund], "updated_at": actor.at})
    words = f"refund {refund.refund_id} of {refund.total} ({refund.status.value}): {refund.reason}"
    events = [refund_event(after, refund, "RefundCreated", actor.at, freed)]
    if refund.status == RefundStatus.PENDING:
        return noted(after, words, actor), events
    after, moved = _follow_money(after, words, actor)
    return after, events + moved


def settle(
    order: Order,
    refund_id: str,
    status: RefundStatus,
    actor: Actor,
    *,
    channel_refund_id: str | None = None,
    message: str | None = None,
) -> tuple[Order, list[OutboxEvent]] | None:
    """A pending refund's outcome from the channel (None: it is settled already). A failed refund
    moved no money: it stops counting, and the order stays where it was."""
    refund = find_refund(order, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return None
    done = refund.model_copy(
        update={
            "status": status,
            "channel_refund_id": channel_refund_id,
            "message": message[:300] if message else None,
            "updated_at": actor.at,
        }
    )
    refunds = [done if r.refund_id == refund_id else r for r in order.refunds]
    after = order.model_copy(update={"refunds": refunds, "updated_at": actor.at})
    words = f"refund {refund_id} {status.value}" + (f": {done.message}" if done.message else "")
    kind = "RefundSucceeded" if status == RefundStatus.SUCCEEDED else "RefundFailed"
    events = [refund_event(after, done, kind, actor.at)]
    if status == RefundStatus.SUCCEEDED:
        after, moved = _follow_money(after, words, actor)
        return after, events + moved
    return noted(after, words, actor), events


OURS = re.compile(
    r"\[oms ([A-Za-z0-9_-]{1,100})\]"
)  # a key, or one we derive (<key>-refund)  # our refund id, in what we sent the channel
RESTOCKED = frozenset({"return", "legacy_restock"})


def record_channel_refunds(
    order: Order, shipments: list[Shipment], actor: Actor
) -> tuple[Order, list[StockMove], list[OutboxEvent]]:
    """Refunds the channel reports that are not ours (made in its own admin) recorded once each,
    as ``channel`` refunds: their money as the channel returned it, their returned units restocked
    where they left (once: the refund is recorded with them). Ours come back carrying our id."""
    known = {r.channel_refund_id for r in order.refunds if r.channel_refund_id} | {
        r.refund_id for r in order.refunds
    }
    moves: list[StockMove] = []
    events: list[OutboxEvent] = []
    for reported in order.channel_refunds:
        mark = OURS.search(reported.note or "")
        if reported.refund_id in known or (mark and mark.group(1) in known):
            continue
        lines, restocks = [], []
        for item in reported.lines:
            line = order.line(item.line_id)
            if line is None or item.quantity <= 0:
                continue
            value, tax = line_value(order, line)
            before = max(0, min(line.quantity - item.quantity, refunded_units(order, line.line_id)))
            restock = item.restock_type in RESTOCKED and bool(line.stock_item)
            location = _shipped_from(shipments, line.line_id) if restock else None
            if location is not None and line.stock_item:
                restocks += [
                    StockMove(line.stock_item, item.quantity, MoveKind.RESTOCK),
                    StockMove(line.stock_item, item.quantity, MoveKind.RESTOCK, location),
                ]
            lines.append(
                RefundLine(
                    line_id=line.line_id,
                    quantity=item.quantity,
                    amount=share(value, before + item.quantity, line.quantity)
                    - share(value, before, line.quantity),
                    tax=share(tax, before + item.quantity, line.quantity) - share(tax, before, line.quantity),
                    restock=restock,
                    location_id=location,
                    cancelled=item.quantity if item.restock_type == "cancel" else 0,
                    shipped=item.quantity if location is not None else 0,
                    restocked=item.quantity if location is not None else 0,
                )
            )
        zero = Money.zero(order.currency)
        refund = Refund(
            refund_id=f"channel-{reported.refund_id}",
            status=RefundStatus.CHANNEL,
            lines=lines,
            shipping=zero,
            extra=zero,
            total=reported.total,
            reason=reported.note or "refunded in the channel",
            actor=actor.name,
            channel_refund_id=reported.refund_id,
            created_at=actor.at,
            updated_at=actor.at,
        )
        order = noted(
            order.model_copy(update={"refunds": [*order.refunds, refund]}),
            f"refund {reported.refund_id} of {reported.total} made in the channel",
            actor,
        )
        events.append(refund_event(order, refund, "RefundCreated", actor.at, freed_skus(restocks)))
        moves += restocks
        known.add(reported.refund_id)
    return order, moves, events
