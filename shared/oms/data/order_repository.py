"""Orders in the single table: one item per order, written whole with a version check.

The order itself is one JSON document (``doc``, written and read by pydantic's compiled
serializer); beside it, typed copies of the few attributes the indexes need. The outbox holds the
events of this write as JSON strings, for the stream relay.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from oms.backorders import HeldOrder, waiting_from_summary, waiting_skus
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
from oms.data.staged_commit import Lock, StagedCommit, new_op_id
from oms.data.stock_repository import StockDelta, delta_update, net, shortage
from oms.domain_events import OutboxEvent
from oms.errors import BadRequest, ConcurrentModification, StockShortage
from oms.models import Order, Reservation, ShortLine
from oms.order_changes import OrderChange
from oms.order_lifecycle import OrderStatus
from oms.timeutil import iso, parse_iso

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
            "channel_updated_at": iso(order.channel_updated_at),  # reconciliation reads it alone
            **summary,
        }
    )
    waiting = waiting_skus(order)
    if waiting:  # the sparse index of orders waiting for stock (released, or offered a choice)
        item.update(
            to_item(
                {
                    "GSI4PK": keys.WAITING_ORDERS,
                    "GSI4SK": sort,
                    "waiting": waiting,
                    "ship_available": order.ship_available,
                }
            )
        )
        if order.choice is not None and order.choice.open:
            item["choice_due"] = {"S": iso(order.choice.due)}
    item["doc"] = {"B": pack(order.model_dump_json(exclude_none=True))}
    if events:
        item["outbox"] = {"B": pack([e.model_dump(mode="json") for e in events])}
    return item


def placeholder_of(order: Order) -> Order:
    """What stands for a new order while a staged operation creates it: the order as placed."""
    return order.model_copy(
        update={
            "status": OrderStatus.PLACED,
            "hold": None,
            "reservation": Reservation(),
            "backordered": {},
            "choice": None,
            "timeline": order.timeline[:1],
            "version": 0,
        }
    )


def order_from_item(item: dict[str, Any]) -> Order:
    doc = item["doc"]["B"]
    raw = base64.b64decode(doc) if isinstance(doc, str) else doc
    return Order.model_validate_json(zlib.decompress(raw))


@dataclass(frozen=True)
class ItemWrite:
    """Another item an order change writes in its transaction (a shipment): its Put item and the
    version it must still have (None: it must not exist yet)."""

    item: dict[str, Any]
    expected_version: int | None

    def put(self, *, op_id: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"Put": {"Item": self.item}}
        if self.expected_version is None:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
        elif op_id is not None:  # inside a staged operation, which holds the item's lock
            put["Put"]["ConditionExpression"] = "pending_op = :op"
            put["Put"]["ExpressionAttributeValues"] = {":op": {"S": op_id}}
        else:
            put["Put"]["ConditionExpression"] = "version = :v AND attribute_not_exists(pending_op)"
            put["Put"]["ExpressionAttributeValues"] = {":v": to_attr(self.expected_version)}
        return put

    def lock(self) -> Lock:
        return Lock(self.item["PK"]["S"], self.item["SK"]["S"], self.expected_version)


class OrderRepository:
    """The order repository: get, save a change atomically with its stock moves, list."""

    def __init__(self, table: Table | None = None, *, finish_pending: bool = True) -> None:
        """``finish_pending``: a read that finds an order held by a staged operation finishes (or
        aborts) it first, so the caller never sees a change half made. Read-only functions (no
        write permission) pass False and see the order as it stands."""
        self.table = table or Table()
        self.staged = StagedCommit(self.table)
        self.finish_pending = finish_pending

    def get(self, order_id: str) -> Order | None:
        for _ in range(5):
            item = self.table.get(keys.order_pk(order_id), keys.ORDER_SK)
            if item is not None and "pending_op" in item and self.finish_pending:
                self.staged.resume(order_id, item["pending_op"]["S"])
                continue
            return order_from_item(item) if item else None
        raise ConcurrentModification(f"order {order_id} stays locked")

    def save(
        self,
        change: OrderChange,
        *,
        writes: list[ItemWrite] | None = None,
        also: list[OrderChange] | None = None,
    ) -> None:
        """Commit the change, all or nothing: in one transaction when it fits, else in stages
        (oms.data.staged_commit), with other items (``writes``) and other orders' changes
        (``also``: a replacement order, with its stock moves). Raises StockShortage or
        ConcurrentModification, changing nothing."""
        writes = [
            *(writes or []),
            *(ItemWrite(order_item(c.order, c.events), c.expected_version) for c in also or []),
        ]
        if also:
            change = replace(change, moves=[*change.moves, *(m for c in also for m in c.moves)])
        deltas = net(change.moves)
        if 1 + len(deltas) + len(writes) <= MAX_TRANSACTION_ITEMS:
            self._save_at_once(change, deltas, writes)
        else:
            self._save_staged(change, deltas, writes)

    def _save_at_once(self, change: OrderChange, deltas: list[StockDelta], writes: list[ItemWrite]) -> None:
        order = change.order
        item = order_item(order, change.events)
        main = ItemWrite(item, change.expected_version)
        items = [main.put(), *(delta_update(d, order.updated_at) for d in deltas), *(w.put() for w in writes)]
        # The request token makes an SDK retry of a committed write a no-op; the document and the
        # moves determine the whole transaction.
        token = hashlib.sha256(
            item["doc"]["B"] + repr(deltas).encode() + repr([w.item for w in writes]).encode()
        ).hexdigest()[:36]
        try:
            self.table.transact(items, token=token)
        except TransactionCancelled as cancelled:
            codes = cancelled.codes()
            if cancelled.conflicted or codes[0] == "ConditionalCheckFailed":
                raise ConcurrentModification(order.order_id) from cancelled
            refused = [
                (delta, reason)
                for delta, reason in zip(deltas, cancelled.reasons[1:], strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            ]
            short = shortage(refused)
            if short:
                raise StockShortage(short) from cancelled
            if any(not delta.refusable for delta, _ in refused):
                # Giving stock back or committing it can only fail if our own bookkeeping is wrong.
                raise RuntimeError(f"stock invariant broken: {refused[0][0]}") from cancelled
            # A location's stock changed since we planned (or a written item did): plan again.
            raise ConcurrentModification(order.order_id) from cancelled

    def _save_staged(self, change: OrderChange, deltas: list[StockDelta], writes: list[ItemWrite]) -> None:
        order = change.order
        self._check_reservable(deltas)
        op_id = new_op_id()
        final = [
            ItemWrite(order_item(order, change.events), change.expected_version or 0).put(op_id=op_id),
            *(w.put(op_id=op_id) for w in writes),
        ]
        order_lock = Lock(keys.order_pk(order.order_id), keys.ORDER_SK, change.expected_version)
        placeholder = None
        if change.expected_version is None:
            placeholder = order_item(placeholder_of(order), [])
        outcome = self.staged.commit(
            order.order_id,
            op_id=op_id,
            locks=[order_lock, *(w.lock() for w in writes if w.expected_version is not None)],
            placeholder=placeholder,
            deltas=deltas,
            final=final,
            at=order.updated_at,
        )
        if outcome.finished:
            return
        if outcome.short:
            raise StockShortage(outcome.short)
        raise ConcurrentModification(order.order_id)

    def _check_reservable(self, deltas: list[StockDelta]) -> None:
        """Before reserving in stages, read the SKUs' totals: an order that is short is refused with
        every short line at once, without reserving (and then releasing) the rest."""
        wanted = {d.sku: -d.available for d in deltas if d.location is None and d.reserving and d.refusable}
        if not wanted:
            return
        items = self.table.batch_get(
            [(keys.sku_pk(sku), keys.SKU_TOTAL_SK) for sku in wanted], consistent=False
        )
        available = {
            str(from_attr(i["sku"])): int(from_attr(i["available"])) for i in items if "available" in i
        }
        short = [
            ShortLine(sku=sku, requested=qty, available=available.get(sku))
            for sku, qty in sorted(wanted.items())
            if available.get(sku, -1) < qty
        ]
        if short:
            raise StockShortage(short)

    def count(
        self,
        *,
        status: str | None = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        now: datetime,
        cap: int | None = None,
    ) -> int:
        """How many orders (in ``status``) were placed between two times: COUNT queries on the
        index the listing uses (status, or year), which read index items only; with ``cap``, no
        more than that many are read (the answer is then ``cap``: that many or more)."""
        upper, lower = placed_to or now, placed_from or EARLIEST
        if status:
            index, partitions = keys.GSI_BY_STATUS, [keys.status_orders(status)]
        else:
            index, partitions = (
                keys.GSI_BY_YEAR,
                [f"ORDERS#{y}" for y in range(upper.year, lower.year - 1, -1)],
            )
        total = 0
        for partition in partitions:
            kwargs: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": f"{index}PK = :pk AND {index}SK BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {
                    ":pk": {"S": partition},
                    ":lo": {"S": iso(lower)},
                    ":hi": {"S": iso(upper) + "~"},
                },
                "Select": "COUNT",
            }
            while cap is None or total < cap:
                if cap is not None:
                    kwargs["Limit"] = cap - total
                response = self.table.query(**kwargs)
                total += int(response.get("Count", 0))
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            if cap is not None and total >= cap:
                return cap
        return total

    def hold_reasons(self, cap: int | None = None) -> dict[str, int]:
        """Orders on hold, by their hold's reason (the status index projects the hold); with
        ``cap``, from the first ``cap`` of them only."""
        counts: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STATUS,
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.status_orders("on_hold")}},
            "ProjectionExpression": "#hold",
            "ExpressionAttributeNames": {"#hold": "hold"},
        }
        seen = 0
        while cap is None or seen < cap:
            if cap is not None:
                kwargs["Limit"] = cap - seen
            response = self.table.query(**kwargs)
            for item in response.get("Items", []):
                hold = item.get("hold", {}).get("M", {})
                reason = hold.get("reason", {}).get("S", "unknown")
                counts[reason] = counts.get(reason, 0) + 1
                seen += 1
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return counts

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
        hold_reason: str | None = None,
    ) -> Page:
        """Newest first. Served by the index that fits the filters best; never a Scan. A hold
        reason narrows the orders on hold (the indexes project the hold)."""
        if hold_reason:
            status = "on_hold"
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
            conditions = [f"#{k} = :{k}" for k in filters]
            names = {f"#{k}": k for k in filters}
            values = {f":{k}": {"S": v} for k, v in filters.items()}
            if hold_reason:
                conditions.append("#hold.#reason = :reason")
                names.update({"#hold": "hold", "#reason": "reason"})
                values[":reason"] = {"S": hold_reason}
            if conditions:
                kwargs["FilterExpression"] = " AND ".join(conditions)
                kwargs["ExpressionAttributeNames"] = names
                kwargs["ExpressionAttributeValues"].update(values)
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

    def id_page(
        self,
        store_id: str,
        *,
        status: str | None,
        placed_to: datetime | None,
        cursor: str | None,
        now: datetime,
    ) -> tuple[builtins.list[str], str | None]:
        """A page of a store's order ids, newest first (of a status, placed up to a time)."""
        page = self.list(
            store_id=store_id, status=status, placed_to=placed_to, limit=100, cursor=cursor, now=now
        )
        return [str(o["order_id"]) for o in page.items], page.cursor

    def many(self, order_ids: builtins.list[str]) -> builtins.list[Order]:
        """Whole orders, as they stand (an export reads them in batches of 100: eventual reads)."""
        items = self.table.batch_get([(keys.order_pk(i), keys.ORDER_SK) for i in order_ids], consistent=False)
        by_id = {o.order_id: o for o in map(order_from_item, items)}
        return [by_id[i] for i in order_ids if i in by_id]

    def channel_versions(self, order_ids: builtins.list[str]) -> dict[str, datetime]:
        """Each held order's channel version (``channel_updated_at``), by order id: one eventual
        BatchGetItem of two attributes per 100 orders (reconciliation compares them)."""
        items = self.table.batch_get(
            [(keys.order_pk(i), keys.ORDER_SK) for i in order_ids],
            consistent=False,
            attributes=("order_id", "channel_updated_at"),
        )
        found: dict[str, datetime] = {}
        older: list[str] = []  # written before the attribute was: their document says
        for item in items:
            values = from_item(item)
            if values.get("channel_updated_at"):
                found[str(values["order_id"])] = parse_iso(str(values["channel_updated_at"]))
            else:
                older.append(str(values["order_id"]))
        for order in self.many(older) if older else []:
            found[order.order_id] = order.channel_updated_at
        return found

    def summaries(self, order_ids: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        """The listing's summary of each order, in the order asked (missing ones left out): one
        BatchGetItem of the summary attributes, not the orders' documents."""
        items = self.table.batch_get(
            [(keys.order_pk(i), keys.ORDER_SK) for i in order_ids],
            consistent=False,
            attributes=SUMMARY_ATTRIBUTES,
        )
        by_id = {s["order_id"]: s for s in map(_summary, items)}
        return [by_id[i] for i in order_ids if i in by_id]

    def waiting_for(self, sku: str) -> builtins.list[HeldOrder]:
        """Orders waiting for ``sku`` (held out of stock, or with backordered lines), oldest first:
        the sparse waiting index (a Query, never a Scan)."""
        found = [waiting_from_summary(from_item(item)) for item in self._waiting()]
        return [order for order in found if order is not None and sku in order.short]

    def choices_due(self, now: datetime) -> builtins.list[str]:
        """Orders whose customer choice is past due (the waiting index, filtered on its due time)."""
        due = self._waiting(filter_expression="choice_due <= :now", values={":now": {"S": iso(now)}})
        return [str(from_attr(item["order_id"])) for item in due]

    def _waiting(
        self, *, filter_expression: str | None = None, values: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_WAITING,
            "KeyConditionExpression": "GSI4PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.WAITING_ORDERS}, **(values or {})},
            "ScanIndexForward": True,
        }
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        while True:
            response = self.table.query(**kwargs)
            yield from response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    data = from_item(item)
    return {k: data[k] for k in SUMMARY_ATTRIBUTES if k in data}
