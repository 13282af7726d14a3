"""Orders held ``out_of_stock``, released when stock arrives.

Such an order reserved nothing (all or nothing), so nothing of it waits in the stock items: when a
SKU's on-hand count rises, the orders held short of it are decided again by the intake (a retry),
which reserves them if the stock now covers them. Older orders come first: the stock that arrived
is promised, in placement order, to each held order it covers in full, and an order it cannot cover
does not block a younger one it can (a big order does not stop small ones behind it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HeldOrder:
    """An order on hold for want of stock, as the status index lists it."""

    order_id: str
    store_id: str
    channel: str
    placed_at: str  # ISO-8601 UTC: orders sort by it
    short: Mapping[str, int]  # SKU -> the quantity the order needs of it

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


def releasable(held: Sequence[HeldOrder], available: Mapping[str, int]) -> list[HeldOrder]:
    """The held orders the available stock covers, oldest first, each taking what it needs from
    what is left for the younger ones."""
    left = dict(available)
    chosen: list[HeldOrder] = []
    for order in sorted(held, key=lambda o: (o.placed_at, o.order_id)):
        if all(left.get(sku, 0) >= qty for sku, qty in order.short.items()):
            for sku, qty in order.short.items():
                left[sku] -= qty
            chosen.append(order)
    return chosen
