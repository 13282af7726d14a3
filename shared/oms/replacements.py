"""Replacement orders: what an exchange or a claim sends the customer, as an order of its own.

A replacement is an order of the store on the ``manual`` channel (nothing to tell a channel about
it), numbered after the order it replaces (``1001-R1`` for return 1's exchange, ``1001-C1`` for
claim 1's reshipment) and made with the customer and address of that order. Its stock is reserved
when it is made, all or nothing, in the same transaction as what asks for it; from there it is an
order like any other: allocated, picked, packed, shipped as its own shipment and tracked. It is
paid by what comes back (an exchange) or free (a claim), or waits on hold for what the customer
owes, or for the return to arrive when the store ships exchanges on receipt. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from oms.domain_events import OutboxEvent
from oms.identifiers import replacement_order_ref
from oms.models import (
    Channel,
    Hold,
    LineHandling,
    LineItem,
    Order,
    OrderSnapshot,
    PaymentStatus,
    Reservation,
    Totals,
)
from oms.money import Money
from oms.order_changes import Actor, MoveKind, OrderChange, StockMove, new_order, transition
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.refunds import share


@dataclass(frozen=True)
class ReplacementLine:
    sku: str
    name: str
    quantity: int
    unit_price: Money  # what it is worth (zero for a claim's reshipment)


def replacement_change(
    original: Order,
    of: str,
    lines: list[ReplacementLine],
    *,
    replaces: str,
    owed: Money,
    wait_for: str | None,
    actor: Actor,
) -> OrderChange:
    """The new order (``of``: "R1", "C1") with its reservation, placed and confirmed, or on hold
    (with its stock) while ``wait_for`` says what it waits for or the customer owes ``owed``. The
    replacements are worth their prices less the credit of what comes back (per-line discounts):
    the order is worth what the customer pays for it, so no sale is counted twice."""
    currency = original.currency
    zero = Money.zero(currency)
    totals = [
        Money.model_construct(amount=x.unit_price.amount * x.quantity, currency=currency) for x in lines
    ]
    value = sum(totals, zero)
    credit = value - owed if value.amount > owed.amount else zero
    discounts = _spread(credit, totals)
    items = [
        LineItem(
            line_id=str(i + 1),
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=total,
            discount=discount if discount.amount else None,
            stock_sku=line.sku,
            handling=LineHandling.STOCK,
        )
        for i, (line, total, discount) in enumerate(zip(lines, totals, discounts, strict=True))
    ]
    snapshot = OrderSnapshot(
        channel=Channel.MANUAL,
        store_id=original.store_id,
        channel_order_id=replacement_order_ref(original.channel_order_id, of),
        number=f"{original.number}-{of}",
        currency=currency,
        customer=original.customer,
        billing_address=original.billing_address,
        shipping_address=original.address_override or original.shipping_address,
        lines=items,
        totals=Totals(
            subtotal=value,
            discounts=credit,
            tax=zero,
            shipping=zero,
            total=value - credit,
            outstanding=owed if owed.amount > 0 else None,
        ),
        payment_status=PaymentStatus.PENDING if owed.amount > 0 else PaymentStatus.PAID,
        channel_status="replacement",
        note=f"replaces {replaces}",
        source="replacement",
        placed_at=actor.at,
        channel_updated_at=actor.at,
    )
    order, events = new_order(snapshot, actor)
    reserved: dict[str, int] = {}
    for line in lines:
        reserved[line.sku] = reserved.get(line.sku, 0) + line.quantity
    order = order.model_copy(update={"replaces": replaces, "reservation": Reservation(reserved=reserved)})
    waiting = [w for w in (wait_for, f"the customer to pay {owed}" if owed.amount > 0 else None) if w]
    if waiting:
        hold = Hold(reason=HoldReason.MANUAL, note=f"waiting for {' and '.join(waiting)}"[:2000])
        order, event = transition(order, OrderStatus.ON_HOLD, actor, reason=hold.note, hold=hold)
    else:
        order, event = transition(order, OrderStatus.CONFIRMED, actor, reason=f"replaces {replaces}")
    moves = [StockMove(sku, n, MoveKind.RESERVE) for sku, n in sorted(reserved.items())]
    return OrderChange(order=order, expected_version=None, moves=moves, events=[*events, event])


def _spread(credit: Money, totals: list[Money]) -> list[Money]:
    """``credit`` over lines worth ``totals``, by their worth; the last line takes the rounding."""
    whole = sum((t.amount for t in totals), Decimal(0))
    out: list[Money] = []
    given = Money.zero(credit.currency)
    for i, total in enumerate(totals):
        if whole == 0 or credit.amount == 0:
            out.append(Money.zero(credit.currency))
            continue
        part = (
            credit - given
            if i == len(totals) - 1
            else share(credit, int(total.amount * 10**6), int(whole * 10**6))
        )
        out.append(part)
        given = given + part
    return out


def release_replacement(
    order: Order, actor: Actor, *, still_waiting: str | None, paid: Money | None = None
) -> tuple[Order, list[OutboxEvent]] | None:
    """A held replacement once what it waited for happened (the return arrived; the customer
    paid): confirmed (to be allocated and shipped), or still held for what is left. None: nothing
    changes (it is not held, or was released already)."""
    if order.status != OrderStatus.ON_HOLD or order.hold is None or order.hold.reason != HoldReason.MANUAL:
        return None
    after = order
    if paid is not None and after.payment_status == PaymentStatus.PENDING:
        after = after.model_copy(
            update={
                "payment_status": PaymentStatus.PAID,
                "totals": after.totals.model_copy(update={"outstanding": None}),
            }
        )
    owes = after.payment_status == PaymentStatus.PENDING and after.totals.outstanding is not None
    waiting = [
        w for w in (still_waiting, f"the customer to pay {after.totals.outstanding}" if owes else None) if w
    ]
    if waiting:
        note = f"waiting for {' and '.join(waiting)}"[:2000]
        if after == order and order.hold.note == note:
            return None
        hold = Hold(reason=HoldReason.MANUAL, note=note)
        moved, event = transition(after, OrderStatus.ON_HOLD, actor, reason=note, hold=hold)
        return moved, [event]
    moved, event = transition(after, OrderStatus.CONFIRMED, actor, reason="nothing left to wait for")
    return moved, [event]


def waiting_for_return(return_id: str) -> str:
    return f"return {return_id} to arrive"
