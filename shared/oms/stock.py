"""Stock rules that need no storage: what a count changes, and when a change of levels is worth
telling someone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.domain_events import SOURCE_STOCK, OutboxEvent, StockAvailableDetail, StockEventDetail
from oms.errors import Conflict
from oms.models import StockLevel
from oms.timeutil import iso


@dataclass(frozen=True)
class LocationCount:
    location: str
    on_hand: int
    reserved: int
    previous_on_hand: int | None  # None: the SKU was never counted there
    event: OutboxEvent


@dataclass(frozen=True)
class CountPlan:
    """A stock count: each location's new on-hand (reserved untouched), and the total's change."""

    sku: str
    locations: list[LocationCount]
    total_delta: int

    @property
    def total_release_needed(self) -> int:
        """The total must keep this much available for the count to leave reservations covered."""
        return max(0, -self.total_delta)


def plan_count(
    sku: str,
    counts: dict[str, int],
    current: dict[str, StockLevel],
    at: datetime,
    *,
    reason: str | None = None,
) -> CountPlan:
    """Set the counted on-hand at each location; a count below what a location has reserved for
    shipments is refused (409 ``on_hand_below_reserved``). ``reason`` goes with each event."""
    out = []
    delta = 0
    for location, on_hand in sorted(counts.items()):
        old = current.get(location)
        reserved = old.reserved if old else 0
        if on_hand < reserved:
            raise Conflict(
                f"{location} has {reserved} of {sku} reserved for shipments; on hand cannot be less",
                code="on_hand_below_reserved",
            )
        delta += on_hand - (old.on_hand if old else 0)
        event = OutboxEvent(
            id=f"stock:{sku}:{location}:{iso(at)}",
            source=SOURCE_STOCK,
            type="StockAdjusted",
            occurred_at=at,
            detail=StockEventDetail(
                sku=sku,
                location=location,
                on_hand=on_hand,
                reserved=reserved,
                available=on_hand - reserved,
                previous_on_hand=old.on_hand if old else None,
                reason=reason,
                occurred_at=at,
            ).model_dump(mode="json"),
        )
        out.append(LocationCount(location, on_hand, reserved, old.on_hand if old else None, event))
    return CountPlan(sku, out, delta)


def low_stock_event(
    old: dict[str, Any] | None, new: dict[str, Any], threshold: int, at: datetime, event_id: str
) -> OutboxEvent | None:
    """LowStock when a SKU's total available stock falls to ``threshold`` or below (crossing only,
    so one alert per fall, not one per order)."""
    if old is None or "available" not in old or "available" not in new:
        return None
    before, after = int(old["available"]), int(new["available"])
    if not (before > threshold >= after):
        return None
    return OutboxEvent(
        id=event_id,
        source=SOURCE_STOCK,
        type="LowStock",
        occurred_at=at,
        detail=StockEventDetail(
            sku=str(new["sku"]),
            on_hand=int(new["on_hand"]),
            reserved=int(new["reserved"]),
            available=after,
            threshold=threshold,
            occurred_at=at,
        ).model_dump(mode="json"),
    )


def available_changed_event(
    old: dict[str, Any] | None, new: dict[str, Any], at: datetime
) -> OutboxEvent | None:
    """StockAvailableChanged when a SKU total's available stock differs from before (a count that
    leaves it where it was, a move between locations, tell no channel anything). Its id is the SKU
    and the stock version, so a stream record delivered twice is the same event twice."""
    if "available" not in new or "stock_version" not in new:
        return None
    before = int(old["available"]) if old and "available" in old else None
    after = int(new["available"])
    if before == after:
        return None
    version = int(new["stock_version"])
    sku = str(new["sku"])
    return OutboxEvent(
        id=f"stock:{sku}:{version}",
        source=SOURCE_STOCK,
        type="StockAvailableChanged",
        occurred_at=at,
        detail=StockAvailableDetail(
            sku=sku,
            on_hand=int(new["on_hand"]),
            reserved=int(new["reserved"]),
            available=after,
            previous_available=before,
            version=version,
            occurred_at=at,
        ).model_dump(mode="json"),
    )
