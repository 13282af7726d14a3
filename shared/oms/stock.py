"""Stock rules that need no storage: when a change of levels is worth telling someone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.domain_events import SOURCE_STOCK, OutboxEvent, StockEventDetail

# A reservation is one DynamoDB transaction: at most 100 items, one of them the order itself.
MAX_SKUS_PER_RESERVATION = 99


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
