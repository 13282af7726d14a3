"""DynamoDB stream records of the table, as the outbox relay reads them."""

from __future__ import annotations

from typing import Any

from oms.data.item_codec import from_item, unpack
from oms.outbox_relay import TableChange


def table_change(record: dict[str, Any]) -> TableChange:
    """A stream record (Lambda's event shape) with its images decoded and its outbox unpacked (the
    change's events, compressed by oms.data.item_codec.pack; a plain list of maps is read too)."""
    change = record["dynamodb"]
    old = from_item(change["OldImage"]) if change.get("OldImage") else None
    new = from_item(change["NewImage"]) if change.get("NewImage") else None
    outbox = (new or {}).pop("outbox", None)
    events = unpack(outbox) if isinstance(outbox, bytes | str) else outbox or []
    return TableChange(str(change.get("SequenceNumber", "")), old, new, list(events))
