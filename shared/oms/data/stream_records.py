"""DynamoDB stream records of the table, as the outbox relay and the search indexer read them."""

from __future__ import annotations

from typing import Any

from oms.data.item_codec import from_item, unpack
from oms.data.order_repository import order_from_item
from oms.data.table_keys import ORDER_SK
from oms.order_search import OrderImages
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


def order_images(record: dict[str, Any]) -> OrderImages | None:
    """The order before and after a stream record of its item (None: not an order's item)."""
    change = record["dynamodb"]
    keys = change.get("Keys", {})
    if keys.get("SK", {}).get("S") != ORDER_SK or not keys.get("PK", {}).get("S", "").startswith("ORDER#"):
        return None
    old, new = change.get("OldImage"), change.get("NewImage")
    return OrderImages(
        sequence=str(change.get("SequenceNumber", "")),
        old=order_from_item(old) if old and "doc" in old else None,
        new=order_from_item(new) if new and "doc" in new else None,
    )
