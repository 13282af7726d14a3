"""Orders in the single table: one item per order, written whole with a version check.

The order itself is one JSON document (``doc``, written and read by pydantic's compiled
serializer); beside it, typed copies of the few attributes the indexes need. The outbox holds the
events of this write as JSON strings, for the stream relay.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import (
    MAX_TRANSACTION_ITEMS,
    Page,
    Table,
    TransactionCancelled,
    decode_cursor,
    encode_cursor,
)
from oms.data.item_codec import from_attr, from_item, pack, to_attr, to_item
from oms.data.stock_repository import move_update
from oms.domain_events import OutboxEvent
from oms.errors import BadRequest
from oms.errors import ConcurrentModification, StockShortage
from oms.models import Order, ShortLine
from oms.order_changes import MoveKind, OrderChange
from oms.timeutil import iso

# Attributes copied into the listing indexes (INCLUDE projection; no customer data).
SUMMARY_ATTRIBUTES = (
    "order_id",
    "number",
    "status",
    "channel",
    "store_id",
    "placed_at",
    "totals",
    "payment_status",
    "hold",
)


# Listings without a lower date bound start here (the year index walks back to it).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class TooManyLines(Exception):
    """More distinct SKUs than one transaction can hold."""


def order_item(order: Order, events: list[OutboxEvent]) -> dict[str, Any]:
    """The order as a DynamoDB item (attribute values), ready for a Put."""
    sort = keys.order_sort(order.placed_at, order.order_id)
    summary = {
        "order_id": order.order_id,
        "number": order.number,
        "status": order.status.value,
        "channel": order.channel.value,
        "store_id": order.store_id,
        "placed_at": iso(order.placed_at),
        "totals": order.totals.model_dump(mode="json", exclude_none=True),
        "payment_status": order.payment_status.value,
    }
    if order.hold:
        summary["hold"] = order.hold.model_dump(mode="json")
    item = to_item(
        {
            "PK": keys.order_pk(order.order_id),
            "SK": keys.ORDER_SK,
            "entity": "order",
            "version": order.version,
            "GSI1PK": keys.store_orders(order.store_id),
            "GSI1SK": sort,
            "GSI2PK": keys.status_orders(order.status.value),
            "GSI2SK": sort,
            "GSI3PK": keys.year_orders(order.placed_at),
            "GSI3SK": sort,
            **summary,
        }
    )
    item["doc"] = {"B": pack(order.model_dump_json(exclude_none=True))}
    if events:
        item["outbox"] = {"B": pack([e.model_dump(mode="json") for e in events])}
    return item


def order_from_item(item: dict[str, Any]) -> Order:
    doc = item["doc"]["B"]
    raw = base64.b64decode(doc) if isinstance(doc, str) else doc
    return Order.model_validate_json(zlib.decompress(raw))


class OrderRepository:
    """The order repository: get, save a change atomically with its stock moves, list."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def get(self, order_id: str) -> Order | None:
        item = self.table.get(keys.order_pk(order_id), keys.ORDER_SK)
        return order_from_item(item) if item else None

    def save(self, change: OrderChange, *, extra: list[dict[str, Any]] | None = None) -> None:
        order = change.order
        item = order_item(order, change.events)
        put: dict[str, Any] = {"Put": {"Item": item}}
        if change.expected_version is None:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["Put"]["ConditionExpression"] = "version = :v"
            put["Put"]["ExpressionAttributeValues"] = {":v": to_attr(change.expected_version)}
        moves = [move_update(m, order.updated_at) for m in change.moves]
        items = [put, *moves, *(extra or [])]
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise TooManyLines(f"{len(change.moves)} stock moves do not fit one transaction")
        # The request token makes an SDK retry of a committed write a no-op; the document and the
        # moves determine the whole transaction.
        token = hashlib.sha256(
            item["doc"]["B"] + repr(change.moves).encode() + repr(extra or "").encode()
        ).hexdigest()[:36]
        try:
            self.table.transact(items, token=token)
        except TransactionCancelled as cancelled:
            codes = cancelled.codes()
            if cancelled.conflicted or codes[0] == "ConditionalCheckFailed":
                raise ConcurrentModification(order.order_id) from cancelled
            short = []
            for move, reason in zip(change.moves, cancelled.reasons[1:], strict=False):
                if reason.get("Code") != "ConditionalCheckFailed":
                    continue
                if move.kind == MoveKind.ALLOCATE:
                    # A location's stock changed since we planned: plan again.
                    raise ConcurrentModification(order.order_id) from cancelled
                if move.kind != MoveKind.RESERVE:
                    # Releasing or committing can only fail if our own bookkeeping is wrong.
                    raise RuntimeError(f"stock invariant broken: {move.kind} of {move.sku}") from cancelled
                old = reason.get("Item")
                short.append(
                    ShortLine(
                        sku=move.sku,
                        requested=move.quantity,
                        available=int(from_attr(old["available"])) if old else None,
                    )
                )
            if short:
                raise StockShortage(short) from cancelled
            raise ConcurrentModification(order.order_id) from cancelled

    def list(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        store_id: str | None = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        now: datetime,
    ) -> Page:
        """Newest first. Served by the index that fits the filters best; never a Scan."""
        upper = placed_to or now
        lower = placed_from or EARLIEST
        if lower > upper:
            raise BadRequest("'from' is after 'to'", code="invalid_range")
        filters: dict[str, str] = {}
        if store_id:
            index, partitions = keys.GSI_BY_STORE, [keys.store_orders(store_id)]
            if status:
                filters["status"] = status
            if channel:
                filters["channel"] = channel
        elif status:
            index, partitions = keys.GSI_BY_STATUS, [keys.status_orders(status)]
            if channel:
                filters["channel"] = channel
        else:
            index, partitions = (
                keys.GSI_BY_YEAR,
                [f"ORDERS#{y}" for y in range(upper.year, lower.year - 1, -1)],
            )
            if channel:
                filters["channel"] = channel
        state = decode_cursor(cursor) if cursor else {"p": 0}
        if state.get("i") not in (None, index):
            raise BadRequest("the cursor belongs to other filters", code="invalid_cursor")
        part = int(state.get("p", 0))
        start_key = state.get("k")
        pk, sk = f"{index}PK", f"{index}SK"
        found: list[dict[str, Any]] = []
        while part < len(partitions) and len(found) < limit:
            kwargs: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": f"{pk} = :pk AND {sk} BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {
                    ":pk": {"S": partitions[part]},
                    ":lo": {"S": iso(lower)},
                    ":hi": {"S": iso(upper) + "~"},
                },
                "ScanIndexForward": False,
                "Limit": limit - len(found),
            }
            if filters:
                kwargs["FilterExpression"] = " AND ".join(f"#{k} = :{k}" for k in filters)
                kwargs["ExpressionAttributeNames"] = {f"#{k}": k for k in filters}
                kwargs["ExpressionAttributeValues"].update({f":{k}": {"S": v} for k, v in filters.items()})
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            response = self.table.query(**kwargs)
            found += [_summary(item) for item in response.get("Items", [])]
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                part += 1
        more = part < len(partitions)
        next_cursor = encode_cursor({"i": index, "p": part, "k": start_key}) if more else None
        return Page(items=found, cursor=next_cursor)


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    data = from_item(item)
    return {k: data[k] for k in SUMMARY_ATTRIBUTES if k in data}
