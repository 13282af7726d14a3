"""Staff edit an order before it ships: add lines, change quantities, change the address: pure.

Only lines no shipment has packed or shipped may change (409 ``line_packed``). A lower quantity
cancels the difference (oms.cancellation); a higher one, or a new SKU, adds a line of ours
(``added_lines``: its price the order's own for that SKU, or the one given). The new reservations
and the released ones commit in one transaction with the order: a SKU that is short refuses the
whole edit (the data layer's StockShortage; the service answers 409 with the shortage). What
staff added and the address they set are kept over the channel's later views of the order
(:func:`keep_staff_changes`). The edit's money difference is recorded on it: positive is due from
the customer, negative owed to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from oms.cancellation import keep_cancelled, line_states
from oms.errors import Conflict, ValidationFailed
from oms.models import Address, Channel, EditPush, LineHandling, LineItem, Order, OrderSnapshot, Store
from oms.money import Money
from oms.order_lifecycle import OrderStatus
from oms.order_tags import staff_tags
from oms.refunds import line_value, share
from oms.shipments import LEFT, OPEN, Shipment, ShipmentStatus

EDITABLE = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.FULFILLING,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.ON_HOLD,
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.PLACED,
    }
)


@dataclass(frozen=True)
class AddAsk:
    sku: str
    quantity: int
    unit_price: Decimal | None = None
    name: str | None = None


@dataclass(frozen=True)
class EditAsk:
    add: list[AddAsk] = field(default_factory=list)
    change: list[tuple[str, int]] = field(default_factory=list)  # line -> its new quantity
    shipping_address: Address | None = None
    note: str | None = None


@dataclass
class EditPlan:
    order: Order  # its lines, added lines and address as edited (reservations not yet followed)
    cancel: dict[str, int]  # line -> units the edit takes off
    added: list[LineItem]
    changed: dict[str, int]
    difference: Money


def edit_push(store: Store | None, order: Order, *, lines_changed: bool) -> tuple[EditPush, str]:
    """Whether an edit is made on the channel's order too, and the words for why not."""
    if order.channel == Channel.MANUAL:
        return EditPush.OMS_ONLY, "recorded in the OMS: a manual order has no channel copy"
    if store is None or order.channel != Channel.SHOPIFY:
        return EditPush.OMS_ONLY, (
            f"recorded in the OMS only: {order.channel.value} has no order editing we can use,"
            " so its own copy of the order is not changed"
        )
    if not store.settings.push_edits_to_channel:
        return EditPush.OMS_ONLY, "recorded in the OMS only: the store does not want edits pushed to Shopify"
    if not store.api_connected:
        return EditPush.OMS_ONLY, "recorded in the OMS only: no Shopify admin API credentials for this store"
    what = "an order edit" if lines_changed else "a change of its shipping address"
    return EditPush.PENDING, f"being made on Shopify as {what}"


def keep_staff_changes(snapshot: OrderSnapshot, order: Order) -> OrderSnapshot:
    """The channel's view of an order with what staff changed here still changed: the lines they
    added (a channel not told of them does not report them; one that was reports them under its
    own ids, taken back to ours), the address they set, the units they cancelled, the tags they
    added or removed."""
    if order.tag_changes:
        snapshot = snapshot.model_copy(update={"tags": staff_tags(snapshot.tags, order.tag_changes)})
    if order.added_lines or order.address_override is not None:
        channel_lines = _as_ours(snapshot.lines, order)
        known = {line.line_id for line in channel_lines}
        update: dict[str, object] = {
            "lines": [*channel_lines, *(line for line in order.added_lines if line.line_id not in known)]
        }
        if order.address_override is not None:
            update["shipping_address"] = order.address_override
        snapshot = snapshot.model_copy(update=update)
    return keep_cancelled(snapshot, order.cancelled_quantities)


def _as_ours(lines: list[LineItem], order: Order) -> list[LineItem]:
    """The channel's copies of lines staff added here, under our line ids (so they are neither
    doubled nor reserved twice): the line whose channel id the edit's push recorded or, while a
    push is under way and its answer not yet recorded, a line new to us with the same SKU."""
    current = {line.line_id: line for line in order.lines}
    mine_by_channel_id: dict[str, LineItem] = {}
    awaited: list[LineItem] = []
    pending = {e.edit_id for e in order.edits if e.push == EditPush.PENDING}
    for added in order.added_lines:
        channel_id = (current.get(added.line_id) or added).channel_line_id
        if channel_id:
            mine_by_channel_id[channel_id] = added
        elif any(added.line_id.startswith(f"{edit_id}-") for edit_id in pending):
            awaited.append(added)
    ours = {line.channel_line_id or line.line_id for line in order.lines}
    result = []
    for line in lines:
        mine = mine_by_channel_id.get(line.line_id)
        if mine is None and line.line_id not in ours:
            mine = next((a for a in awaited if a.sku == line.sku), None)
            if mine is not None:
                awaited.remove(mine)
        if mine is None:
            result.append(line)
            continue
        result.append(
            line.model_copy(
                update={
                    "line_id": mine.line_id,
                    "channel_line_id": line.line_id,
                    "stock_sku": mine.stock_sku,
                    "handling": mine.handling,
                }
            )
        )
    return result


def plan_edit(order: Order, shipments: list[Shipment], ask: EditAsk, *, edit_id: str) -> EditPlan:
    if order.status not in EDITABLE:
        raise Conflict(
            f"order {order.order_id} is {order.status.value}: only an order not yet shipped can be edited"
            " (what shipped comes back through a return)",
            code="order_not_editable",
        )
    if not ask.add and not ask.change and ask.shipping_address is None:
        raise ValidationFailed("an edit needs add, change or shipping_address", code="empty_edit")
    states = line_states(order, shipments)
    held = _held_lines(shipments)
    zero = Money.zero(order.currency)
    cancel: dict[str, int] = {}
    changed: dict[str, int] = {}
    more: list[AddAsk] = []
    difference = zero
    for i, (line_id, quantity) in enumerate(ask.change):
        line, state = order.line(line_id), states.get(line_id)
        if line is None or state is None:
            raise ValidationFailed(
                f"order {order.order_id} has no line {line_id!r}",
                code="unknown_line",
                details=[{"field": f"change[{i}].line_id"}],
            )
        if line_id in held or state.shipped:
            raise Conflict(
                f"line {line_id} is packed or shipped: it can no longer be edited",
                code="line_packed",
                details=[{"field": f"change[{i}].line_id"}],
            )
        changed[line_id] = quantity
        if quantity < state.open:
            cancel[line_id] = state.open - quantity
            value, _ = line_value(order, line)
            difference -= share(value, state.open, line.quantity) - share(value, quantity, line.quantity)
        elif quantity > state.open:
            more.append(
                AddAsk(
                    str(line.stock_item or line.sku or ""),
                    quantity - state.open,
                    line.unit_price.amount,
                    line.name,
                )
            )
    added: list[LineItem] = []
    for j, item in enumerate([*ask.add, *more]):
        new = _new_line(order, item, f"{edit_id}-{j + 1}", f"add[{j}]")
        added.append(new)
        difference += new.line_total
    lines = [
        line.model_copy(update={"current_quantity": line.open_quantity - cancel[line.line_id]})
        if line.line_id in cancel
        else line
        for line in order.lines
    ] + added
    cancelled = dict(order.cancelled_quantities)
    for line_id, n in cancel.items():
        cancelled[line_id] = cancelled.get(line_id, 0) + n
    update: dict[str, object] = {
        "lines": lines,
        "added_lines": [*order.added_lines, *added],
        "cancelled_quantities": cancelled,
    }
    if ask.shipping_address is not None:
        if any(s.status == ShipmentStatus.PACKED for s in shipments):
            raise Conflict(
                "a packed parcel carries the old address: unpack it (POST /shipments/{id}/cancel) first",
                code="shipment_packed",
            )
        update["shipping_address"] = ask.shipping_address
        update["address_override"] = ask.shipping_address
    return EditPlan(order.model_copy(update=update), cancel, added, changed, difference)


def _held_lines(shipments: list[Shipment]) -> set[str]:
    """Lines a packed (or shipped) parcel carries."""
    return {
        line.line_id
        for s in shipments
        if s.status == ShipmentStatus.PACKED or s.status in LEFT
        for line in s.lines
    }


def _new_line(order: Order, item: AddAsk, line_id: str, where: str) -> LineItem:
    if not item.sku:
        raise ValidationFailed(
            "a line to add needs a SKU", code="validation_error", details=[{"field": f"{where}.sku"}]
        )
    same = next((line for line in order.lines if (line.stock_item or line.sku) == item.sku), None)
    price = item.unit_price if item.unit_price is not None else (same.unit_price.amount if same else None)
    if price is None:
        raise ValidationFailed(
            f"{item.sku} is not on the order: give its unit_price",
            code="unit_price_required",
            details=[{"field": f"{where}.unit_price"}],
        )
    try:
        unit = Money.of(price, order.currency)
    except ValueError as error:
        raise ValidationFailed(
            str(error), code="invalid_amount", details=[{"field": f"{where}.unit_price"}]
        ) from error
    return LineItem(
        line_id=line_id,
        sku=item.sku,
        name=item.name or (same.name if same else item.sku),
        quantity=item.quantity,
        unit_price=unit,
        line_total=unit.times(item.quantity),
        discount=Money.zero(order.currency),
        tax=Money.zero(order.currency),
        requires_shipping=True,
        grams=same.grams if same else None,
        stock_sku=item.sku,
        handling=LineHandling.STOCK,
    )


def address_for_pending(shipments: list[Shipment], address: Address) -> list[Shipment]:
    """Pending shipments re-addressed; a bought label is to be voided (it names the old address)."""
    out = []
    for s in shipments:
        if s.status not in OPEN or s.status == ShipmentStatus.PACKED or s.source != "oms":
            continue
        update: dict[str, object] = {"ship_to": address}
        if s.label is not None:
            update["label"] = None
            update["labels_to_void"] = [*s.labels_to_void, s.label]
        out.append(s.model_copy(update=update))
    return out
