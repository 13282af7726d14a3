"""Which events a table change carries: the outbox written with it, plus LowStock derived from a
stock total crossing its threshold. Pure; the publisher function does the I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.data.item_codec import unpack
from oms.stock import low_stock_event


def events_of_change(
    old: dict[str, Any] | None, new: dict[str, Any] | None, *, threshold: int, at: datetime, sequence: str
) -> list[dict[str, Any]]:
    if not new:
        return []
    outbox = new.get("outbox")
    # The outbox is the change's events, compressed (oms.data.item_codec.pack); a list of maps is read too.
    events: list[dict[str, Any]] = list(unpack(outbox) if isinstance(outbox, bytes | str) else outbox or [])
    if new.get("entity") == "stock" and new.get("SK") == "TOTAL":
        low = low_stock_event(old, new, threshold, at, event_id=f"lowstock:{new.get('sku')}:{sequence}")
        if low:
            events.append(low.model_dump(mode="json"))
    return events
