"""Which events a table change carries: the outbox written with it, plus what a SKU's stock total
tells by changing (StockAvailableChanged for the channels, LowStock when it crosses its
threshold). Pure; the publisher function reads the stream (the data layer turns a stream record
into a TableChange, its outbox unpacked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.stock import available_changed_event, low_stock_event


@dataclass(frozen=True)
class TableChange:
    sequence: str  # the stream record's sequence number
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    outbox: list[dict[str, Any]] = field(default_factory=list)  # the events written with the change


def events_of_change(change: TableChange, *, threshold: int, at: datetime) -> list[dict[str, Any]]:
    new = change.new
    if not new:
        return []
    events = list(change.outbox)
    if new.get("entity") == "stock" and new.get("SK") == "TOTAL":
        changed = available_changed_event(change.old, new, at)
        if changed:
            events.append(changed.model_dump(mode="json"))
        event_id = f"lowstock:{new.get('sku')}:{change.sequence}"
        low = low_stock_event(change.old, new, threshold, at, event_id=event_id)
        if low:
            events.append(low.model_dump(mode="json"))
    return events
