"""Returns in the single table, beside their order (``ORDER#<id>`` / ``RETURN#<return id>``), listed
by status (GSI1 ``RETURNS#<status>``) and all together (GSI3 ``RETURNS``), newest first; a return
parcel on its way is due a tracking check (GSI2 ``RETURN_TRACKING``, by due time). A return is
written whole with a version check, alone or in the transaction of the order change it goes with
(its units on the order's lines, its stock moves, a replacement order), with its events in its
outbox."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, TransactionCancelled, decode_cursor, encode_cursor
from oms.data.item_codec import pack, to_item
from oms.data.order_repository import ItemWrite, OrderRepository
from oms.domain_events import OutboxEvent, numbered
from oms.errors import ConcurrentModification, NotFound
from oms.identifiers import order_id_of_return
from oms.order_changes import OrderChange
from oms.return_lifecycle import ReturnStatus
from oms.returns import Return
from oms.timeutil import iso

# What a listing shows: the index's own attributes (the table's summary projection) and its keys.
SUMMARY = ("order_id", "store_id", "number", "status")


def return_item(ret: Return, events: list[OutboxEvent]) -> dict[str, Any]:
    created = f"{iso(ret.created_at)}#{ret.return_id}"
    values: dict[str, Any] = {
        "PK": keys.order_pk(ret.order_id),
        "SK": keys.return_sk(ret.return_id),
        "entity": "return",
        "version": ret.version,
        "return_id": ret.return_id,
        "order_id": ret.order_id,
        "store_id": ret.store_id,
        "number": ret.number,
        "status": ret.status.value,
        "source": ret.source,
        "created_at": iso(ret.created_at),
        "GSI1PK": keys.returns_in(ret.status.value),
        "GSI1SK": created,
        "GSI3PK": keys.RETURNS,
        "GSI3SK": created,
    }
    due = ret.tracking.next_check_at
    if ret.status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT) and ret.label and due is not None:
        values["next_check_at"] = iso(due)
        values["GSI2PK"] = keys.RETURN_TRACKING
        values["GSI2SK"] = f"{iso(due)}#{ret.return_id}"
    item = to_item(values)
    item["doc"] = {"B": pack(ret.model_dump_json(exclude_none=True))}
    if events:
        item["outbox"] = {"B": pack([e.model_dump(mode="json") for e in events])}
    return item


def return_from_item(item: dict[str, Any]) -> Return:
    doc = item["doc"]["B"]
    raw = base64.b64decode(doc) if isinstance(doc, str) else doc
    return Return.model_validate_json(zlib.decompress(raw))


class ReturnRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self.orders = OrderRepository(self.table)

    def get(self, return_id: str) -> Return:
        item = self.table.get(keys.order_pk(order_id_of_return(return_id)), keys.return_sk(return_id))
        if item is None:
            raise NotFound(f"no return {return_id!r}", code="return_not_found")
        return return_from_item(item)

    def of_order(self, order_id: str) -> list[Return]:
        response = self.table.query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.order_pk(order_id)},
                ":sk": {"S": keys.RETURN_PREFIX},
            },
            ConsistentRead=True,
        )
        return sorted(map(return_from_item, response.get("Items", [])), key=lambda r: r.created_at)

    def save(
        self,
        ret: Return,
        events: list[OutboxEvent],
        *,
        expected_version: int | None,
        order: OrderChange | None = None,
        also: list[OrderChange] | None = None,
    ) -> Return:
        """The return at its next version (version-checked; None: it must be new), its events
        numbered, with the order change it goes with (an order version-checked, its stock moves)
        and other orders' changes: all or nothing, else ConcurrentModification (or StockShortage)."""
        version = (expected_version or 0) + 1
        saved = ret.model_copy(update={"version": version})
        item = return_item(saved, numbered(events, f"{ret.return_id}:{version}"))
        write = ItemWrite(item, expected_version)
        others = list(also or [])
        if order is None and others:
            order = others.pop(0)
        if order is not None:
            self.orders.save(order, writes=[write], also=others)
            return saved
        try:
            self.table.transact([write.put()])
        except TransactionCancelled as cancelled:
            raise ConcurrentModification(ret.return_id) from cancelled
        return saved

    def tracking_due(self, now: datetime, *, limit: int) -> list[str]:
        """Return parcels due a tracking check, longest overdue first."""
        response = self.table.query(
            IndexName=keys.GSI_BY_STATUS,
            KeyConditionExpression="GSI2PK = :pk AND GSI2SK <= :now",
            ExpressionAttributeValues={":pk": {"S": keys.RETURN_TRACKING}, ":now": {"S": iso(now) + "~"}},
            ScanIndexForward=True,
            Limit=limit,
        )
        return [item["GSI2SK"]["S"].split("#", 1)[1] for item in response.get("Items", [])]

    def count(self, status: str, cap: int | None = None) -> int:
        """Returns in ``status`` (a COUNT query on the status index); with ``cap``, that many at
        most are read (the answer is then ``cap``: that many or more)."""
        kwargs: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.returns_in(status)}},
            "Select": "COUNT",
        }
        total = 0
        while cap is None or total < cap:
            if cap is not None:
                kwargs["Limit"] = cap - total
            response = self.table.query(**kwargs)
            total += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return cap if cap is not None else total

    def list(self, *, status: str | None, limit: int, cursor: str | None) -> Page:
        index, pk = ("GSI1", keys.returns_in(status)) if status else ("GSI3", keys.RETURNS)
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": f"{index}PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        items = []
        for item in response.get("Items", []):
            created, return_id = item[f"{index}SK"]["S"].split("#", 1)
            summary = {k: item[k]["S"] for k in SUMMARY if k in item}
            items.append({"return_id": return_id, "created_at": created, **summary})
        last = response.get("LastEvaluatedKey")
        return Page(items=items, cursor=encode_cursor(last) if last else None)
