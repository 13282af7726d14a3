"""Shipments in the single table, beside their order (``ORDER#<id>`` / ``SHIPMENT#<id>``), and
the fulfilment writes that change an order, its shipments and stock together."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, TransactionCancelled, decode_cursor, encode_cursor
from oms.data.item_codec import from_item, pack, to_item
from oms.data.order_repository import ItemWrite, OrderRepository, order_from_item
from oms.errors import ConcurrentModification, NotFound
from oms.fulfilment import FulfilmentChange, ShipmentChange
from oms.identifiers import order_id_of_shipment
from oms.models import Order
from oms.shipments import ON_THE_WAY, OPEN, Shipment
from oms.timeutil import iso


def shipment_item(change: ShipmentChange) -> dict[str, Any]:
    s = change.shipment
    values: dict[str, Any] = {
        "PK": keys.order_pk(s.order_id),
        "SK": keys.shipment_sk(s.shipment_id),
        "entity": "shipment",
        "version": s.version,
        "shipment_id": s.shipment_id,
        "order_id": s.order_id,
        "store_id": s.store_id,
        "location": s.location,
        "status": s.status.value,
    }
    if s.label:
        values["carrier"] = s.label.carrier
        if s.label.tracking_number:
            values["tracking_number"] = s.label.tracking_number
    if s.status in OPEN:
        values["GSI1PK"] = keys.pick_queue(s.location)
        values["GSI1SK"] = f"{s.status.value}#{iso(s.created_at)}#{s.shipment_id}"
    due = s.tracking.next_check_at
    if s.status in ON_THE_WAY and due is not None:
        values["next_check_at"] = iso(due)
        values["GSI2PK"] = keys.TRACKING_DUE
        values["GSI2SK"] = f"{iso(due)}#{s.shipment_id}"
    item = to_item(values)
    item["doc"] = {"B": pack(s.model_dump_json(exclude_none=True))}
    if change.events:
        item["outbox"] = {"B": pack([e.model_dump(mode="json") for e in change.events])}
    return item


def shipment_from_item(item: dict[str, Any]) -> Shipment:
    doc = item["doc"]["B"]
    raw = base64.b64decode(doc) if isinstance(doc, str) else doc
    return Shipment.model_validate_json(zlib.decompress(raw))


def shipment_write(change: ShipmentChange) -> ItemWrite:
    return ItemWrite(shipment_item(change), change.expected_version)


class ShipmentRepository:
    def __init__(self, table: Table | None = None, *, finish_pending: bool = True) -> None:
        self.table = table or Table()
        self.orders = OrderRepository(self.table, finish_pending=finish_pending)

    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]:
        """The order and all its shipments: one query of the order's partition (a staged operation
        holding them is finished first, as for oms.data.order_repository's reads)."""
        for _ in range(5):
            order: Order | None = None
            shipments: list[Shipment] = []
            pending: str | None = None
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": keys.order_pk(order_id)}},
                "ConsistentRead": True,
            }
            while True:
                response = self.table.query(**kwargs)
                for item in response.get("Items", []):
                    sk = item["SK"]["S"]
                    if sk == keys.ORDER_SK:
                        order = order_from_item(item)
                    elif sk.startswith(keys.SHIPMENT_PREFIX):
                        shipments.append(shipment_from_item(item))
                    if sk in (keys.ORDER_SK,) or sk.startswith(keys.SHIPMENT_PREFIX):
                        pending = pending or (item["pending_op"]["S"] if "pending_op" in item else None)
                if not response.get("LastEvaluatedKey"):
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            if pending is None or not self.orders.finish_pending:
                return order, sorted(shipments, key=lambda s: s.shipment_id)
            self.orders.staged.resume(order_id, pending)
        raise ConcurrentModification(f"order {order_id} stays locked")

    def get(self, shipment_id: str) -> Shipment:
        order_id = order_id_of_shipment(shipment_id)
        for _ in range(5):
            item = self.table.get(keys.order_pk(order_id), keys.shipment_sk(shipment_id))
            if not item:
                raise NotFound(f"no shipment {shipment_id!r}", code="shipment_not_found")
            if "pending_op" not in item or not self.orders.finish_pending:
                return shipment_from_item(item)
            self.orders.staged.resume(order_id, item["pending_op"]["S"])
        raise ConcurrentModification(f"shipment {shipment_id} stays locked")

    def save(self, change: FulfilmentChange) -> None:
        """The order (version-checked) with its stock moves, the shipments and the other orders the
        change makes or changes: all or nothing."""
        writes = [shipment_write(sc) for sc in change.shipments]
        if change.order is not None:
            self.orders.save(change.order, writes=writes, also=change.also)
            return
        try:
            self.table.transact([w.put() for w in writes])
        except TransactionCancelled as cancelled:
            raise ConcurrentModification(change.shipments[0].shipment.shipment_id) from cancelled

    def pick_queue(self, location: str, status: str | None, *, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk"
            + (" AND begins_with(GSI1SK, :status)" if status else ""),
            "ExpressionAttributeValues": {":pk": {"S": keys.pick_queue(location)}},
            "Limit": limit,
        }
        if status:
            kwargs["ExpressionAttributeValues"][":status"] = {"S": f"{status}#"}
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        items = [
            {
                k: v
                for k, v in from_item(i).items()
                if k
                in ("shipment_id", "order_id", "store_id", "location", "status", "carrier", "tracking_number")
            }
            for i in response.get("Items", [])
        ]
        last = response.get("LastEvaluatedKey")
        return Page(items=items, cursor=encode_cursor(last) if last else None)

    def tracking_due(self, now: datetime, *, limit: int) -> list[str]:
        """Shipments due a tracking check, longest overdue first."""
        response = self.table.query(
            IndexName=keys.GSI_BY_STATUS,
            KeyConditionExpression="GSI2PK = :pk AND GSI2SK <= :now",
            ExpressionAttributeValues={":pk": {"S": keys.TRACKING_DUE}, ":now": {"S": iso(now) + "~"}},
            ScanIndexForward=True,
            Limit=limit,
        )
        return [item["shipment_id"]["S"] for item in response.get("Items", [])]

    def delivered_orders(self, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STATUS,
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.status_orders("delivered")}},
            "Limit": 100,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        response = self.table.query(**kwargs)
        return [item["order_id"]["S"] for item in response.get("Items", [])], response.get("LastEvaluatedKey")
