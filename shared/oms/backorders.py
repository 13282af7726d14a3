"""Orders waiting for stock: held ``out_of_stock``, or with backordered lines; released when
stock arrives.

Such an order reserved nothing (all or nothing), so nothing of it waits in the stock items: when a
SKU's on-hand count rises, the orders held short of it are decided again by the intake (a retry),
which reserves them if the stock now covers them. Older orders come first: the stock that arrived
is promised, in placement order, to each held order it covers in full, and an order it cannot cover
does not block a younger one it can (a big order does not stop small ones behind it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from oms.models import Order, ShortLine
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.shipments import LEFT, OPEN, Shipment


@dataclass(frozen=True, slots=True)
class HeldOrder:
    """An order on hold for want of stock, as the status index lists it."""

    order_id: str
    store_id: str
    channel: str
    placed_at: str  # ISO-8601 UTC: orders sort by it
    short: Mapping[str, int]  # SKU -> the quantity the order needs of it
    # It may take part of what it needs (backordered lines, or a store shipping what is available):
    # any stock of one of its SKUs is worth a retry.
    partial: bool = False

    @property
    def channel_order_id(self) -> str:
        return self.order_id.split(".", 1)[1]  # <store>.<channel order id>; store ids have no dot


def restocked_sku(detail: Mapping[str, Any]) -> str | None:
    """The SKU a StockAdjusted event made more of (its on-hand rose at a location), else None."""
    sku = detail.get("sku")
    on_hand = detail.get("on_hand")
    if not isinstance(sku, str) or not sku or not isinstance(on_hand, int):
        return None
    before = detail.get("previous_on_hand")
    return sku if on_hand > (before if isinstance(before, int) else 0) else None


def freed_by(kind: str, detail: Mapping[str, Any]) -> list[str]:
    """SKUs an event made more of: a count raised (StockAdjusted), or what a cancellation or a
    refund released or restocked (their ``freed_skus``)."""
    if kind == "StockAdjusted":
        sku = restocked_sku(detail)
        return [sku] if sku else []
    freed = detail.get("freed_skus")
    return sorted({s for s in freed if isinstance(s, str) and s}) if isinstance(freed, list) else []


def held_from_summary(item: Mapping[str, Any]) -> HeldOrder | None:
    """A listed order (summary attributes) as a HeldOrder, if it is held out of stock."""
    hold = item.get("hold") or {}
    if item.get("status") != "on_hold" or hold.get("reason") != "out_of_stock":
        return None
    short: dict[str, int] = {}
    for line in hold.get("short_lines") or []:
        sku, requested = line.get("sku"), line.get("requested")
        if sku and isinstance(requested, int):
            short[sku] = short.get(sku, 0) + requested
    if not short:
        return None
    return HeldOrder(
        order_id=str(item["order_id"]),
        store_id=str(item["store_id"]),
        channel=str(item["channel"]),
        placed_at=str(item["placed_at"]),
        short=short,
    )


def waiting_from_summary(item: Mapping[str, Any]) -> HeldOrder | None:
    """A listed order of the waiting index: held out of stock (it needs all of what it is short of,
    unless it ships what is available), or with backordered lines (its ``waiting`` SKUs: any of
    them is worth a retry)."""
    held = held_from_summary(item)
    if held is not None:
        return replace(held, partial=bool(item.get("ship_available")))
    waiting = item.get("waiting") or {}
    short = {str(k): int(v) for k, v in waiting.items() if isinstance(v, int) and v > 0}
    if not short:
        return None
    return HeldOrder(
        order_id=str(item["order_id"]),
        store_id=str(item["store_id"]),
        channel=str(item["channel"]),
        placed_at=str(item["placed_at"]),
        short=short,
        partial=True,
    )


def releasable(held: Sequence[HeldOrder], available: Mapping[str, int]) -> list[HeldOrder]:
    """The waiting orders the available stock covers, oldest first, each taking what it needs from
    what is left for the younger ones; an order that may take part of what it needs takes what
    there is."""
    left = dict(available)
    chosen: list[HeldOrder] = []
    for order in sorted(held, key=lambda o: (o.placed_at, o.order_id)):
        if order.partial:
            if any(left.get(sku, 0) > 0 for sku in order.short):
                for sku, qty in order.short.items():
                    left[sku] = max(0, left.get(sku, 0) - qty)
                chosen.append(order)
        elif all(left.get(sku, 0) >= qty for sku, qty in order.short.items()):
            for sku, qty in order.short.items():
                left[sku] -= qty
            chosen.append(order)
    return chosen


# ---------------------------------------------------------------------- backordered lines


def _unsent(order: Order, shipments: Sequence[Shipment], line_id: str) -> int:
    """Units of a line neither shipped nor in a shipment that has not left."""
    line = order.line(line_id)
    if line is None:
        return 0
    carried = sum(s.quantity_of(line_id) for s in shipments if s.status in LEFT or s.status in OPEN)
    return max(0, line.open_quantity - carried)


def backorder_for(
    order: Order, shipments: Sequence[Shipment], short: Sequence[ShortLine]
) -> dict[str, int] | None:
    """Per line, the units to backorder so that what the order reserves fits the stock a refused
    reservation found (``short``: per SKU, what it asked for and what was available). The last
    lines of a SKU wait first, so earlier lines ship whole. None when some SKU is unknown (there is
    nothing to wait for: the order is held ``unknown_sku``)."""
    over: dict[str, int] = {}
    for s in short:
        if s.sku is None or s.available is None:
            return None
        lacking = s.requested - max(0, s.available)
        if lacking > 0:
            over[s.sku] = over.get(s.sku, 0) + lacking
    waiting = dict(order.backordered)
    for line in reversed(order.lines):
        sku = line.stock_item
        if sku is None or over.get(sku, 0) <= 0:
            continue
        free = _unsent(order, shipments, line.line_id) - waiting.get(line.line_id, 0)
        k = min(free, over[sku])
        if k > 0:
            waiting[line.line_id] = waiting.get(line.line_id, 0) + k
            over[sku] -= k
    return {k: v for k, v in sorted(waiting.items()) if v > 0}


def ships_something(order: Order, waiting: Mapping[str, int]) -> bool:
    """Whether any unit of the order ships (or has shipped) beside those waiting: else the whole
    order waits, on hold ``out_of_stock``."""
    units = sum(line.open_quantity for line in order.lines if line.ships)
    return units > sum(waiting.values())


def waiting_skus(order: Order) -> dict[str, int]:
    """Per SKU, the units the order waits for: its backordered lines, or what a hold for stock
    is short of (the waiting index lists them)."""
    skus: dict[str, int] = {}
    for line_id, units in order.backordered.items():
        line = order.line(line_id)
        if line is not None and line.stock_item:
            skus[line.stock_item] = skus.get(line.stock_item, 0) + units
    if order.status == OrderStatus.ON_HOLD and order.hold and order.hold.reason == HoldReason.OUT_OF_STOCK:
        for s in order.hold.short_lines:
            if s.sku:
                skus[s.sku] = skus.get(s.sku, 0) + max(0, s.requested - max(0, s.available or 0))
    return {k: v for k, v in sorted(skus.items()) if v > 0}


def backorder_changes(
    before: Mapping[str, int], after: Mapping[str, int]
) -> tuple[dict[str, int], dict[str, int]]:
    """Units newly backordered, and units no longer waiting, per line."""
    added = {k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}
    ended = {k: v - after.get(k, 0) for k, v in before.items() if v > after.get(k, 0)}
    return dict(sorted(added.items())), dict(sorted(ended.items()))
