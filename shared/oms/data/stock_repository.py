"""Stock per SKU (total over locations) and per SKU and location.

Two levels, both with on_hand / reserved / available:
- ``SKU#<sku> / TOTAL``: ``reserved`` is what orders hold; intake reserves here, one item per line.
- ``SKU#<sku> / LOC#<location>``: ``reserved`` is what shipments from that location hold.
Every move is a conditional update inside the caller's transaction; nothing is read first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, TransactionCancelled, decode_cursor, encode_cursor
from oms.data.item_codec import from_item, pack, to_attr, to_item
from oms.domain_events import SOURCE_STOCK, OutboxEvent, StockEventDetail
from oms.errors import Conflict, NotFound
from oms.models import StockLevel
from oms.order_changes import MoveKind, StockMove
from oms.timeutil import iso

_EXPRESSIONS: dict[MoveKind, tuple[str, str]] = {
    MoveKind.RESERVE: ("SET available = available - :q, reserved = reserved + :q", "available >= :q"),
    MoveKind.ALLOCATE: ("SET available = available - :q, reserved = reserved + :q", "available >= :q"),
    MoveKind.RELEASE: ("SET available = available + :q, reserved = reserved - :q", "reserved >= :q"),
    MoveKind.DEALLOCATE: ("SET available = available + :q, reserved = reserved - :q", "reserved >= :q"),
    MoveKind.COMMIT: (
        "SET on_hand = on_hand - :q, reserved = reserved - :q",
        "reserved >= :q AND on_hand >= :q",
    ),
}


def move_update(move: StockMove, at: datetime) -> dict[str, Any]:
    """The transaction item for one stock move (location moves hit the location's item)."""
    if move.quantity <= 0:
        raise ValueError("a stock move needs a positive quantity")
    update, condition = _EXPRESSIONS[move.kind]
    sk = keys.sku_location_sk(move.location) if move.location else keys.SKU_TOTAL_SK
    if move.kind in (MoveKind.ALLOCATE, MoveKind.DEALLOCATE) and not move.location:
        raise ValueError(f"{move.kind} needs a location")
    return {
        "Update": {
            "Key": {"PK": {"S": keys.sku_pk(move.sku)}, "SK": {"S": sk}},
            "UpdateExpression": update + ", updated_at = :at REMOVE outbox",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {":q": {"N": str(move.quantity)}, ":at": {"S": iso(at)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _level(item: dict[str, Any]) -> StockLevel:
    data = from_item(item)
    return StockLevel.model_validate(data)


class StockRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def levels(self, sku: str) -> tuple[StockLevel, list[StockLevel]]:
        """The SKU's total and its per-location levels; NotFound for an unknown SKU."""
        total, locations = self.levels_or_empty(sku)
        if total is None:
            raise NotFound(f"unknown SKU {sku!r}", code="unknown_sku")
        return total, locations

    def levels_or_empty(self, sku: str) -> tuple[StockLevel | None, list[StockLevel]]:
        response = self.table.query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.sku_pk(sku)}},
            ConsistentRead=True,
        )
        total: StockLevel | None = None
        locations: list[StockLevel] = []
        for item in response.get("Items", []):
            level = _level(item)
            if item["SK"]["S"] == keys.SKU_TOTAL_SK:
                total = level
            else:
                locations.append(level)
        return total, sorted(locations, key=lambda lv: lv.location or "")

    def totals(self, skus: list[str]) -> dict[str, StockLevel]:
        items = self.table.batch_get([(keys.sku_pk(s), keys.SKU_TOTAL_SK) for s in skus])
        return {lv.sku: lv for lv in map(_level, items)}

    def location_levels(self, skus: Sequence[str], locations: Sequence[str]) -> list[StockLevel]:
        pairs = [(keys.sku_pk(s), keys.sku_location_sk(loc)) for s in skus for loc in locations]
        return [_level(item) for item in self.table.batch_get(pairs)]

    def list(self, *, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.SKUS}},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        skus = [item["sku"]["S"] for item in response.get("Items", [])]
        totals = self.totals(skus)
        last = response.get("LastEvaluatedKey")
        return Page(
            items=[totals[s].model_dump(mode="json") for s in skus if s in totals],
            cursor=encode_cursor(last) if last else None,
        )

    def set_counts(self, sku: str, counts: dict[str, int], *, at: datetime, actor: str) -> None:
        """Set the counted on-hand of ``sku`` at each location in ``counts``, all or nothing;
        reserved stock is never touched.

        Reads the current counts, then writes every location and the SKU's total in one
        transaction conditioned on what was read: a concurrent change fails it and we read again.
        """
        if not counts:
            return
        for _ in range(5):
            current = {
                str(level.location): level
                for level in self.levels_or_empty(sku)[1]
                if level.location in counts
            }
            delta = 0
            items: list[dict[str, Any]] = []
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
                        occurred_at=at,
                    ).model_dump(mode="json"),
                )
                item = {
                    "PK": keys.sku_pk(sku),
                    "SK": keys.sku_location_sk(location),
                    "entity": "stock",
                    "sku": sku,
                    "location": location,
                    "on_hand": on_hand,
                    "reserved": reserved,
                    "available": on_hand - reserved,
                    "updated_at": iso(at),
                    "updated_by": actor,
                    "outbox": pack([event.model_dump(mode="json")]),
                }
                put: dict[str, Any] = {"Put": {"Item": to_item(item)}}
                if old:
                    put["Put"]["ConditionExpression"] = "on_hand = :old AND reserved = :reserved"
                    put["Put"]["ExpressionAttributeValues"] = {
                        ":old": to_attr(old.on_hand),
                        ":reserved": to_attr(reserved),
                    }
                else:
                    put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
                items.append(put)
                items.append(
                    {
                        "ConditionCheck": {
                            "Key": {"PK": {"S": keys.location_pk(location)}, "SK": {"S": keys.LOCATION_SK}},
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    }
                )
            items.append(
                {
                    "Update": {
                        "Key": {"PK": {"S": keys.sku_pk(sku)}, "SK": {"S": keys.SKU_TOTAL_SK}},
                        "UpdateExpression": (
                            "SET on_hand = if_not_exists(on_hand, :zero) + :delta,"
                            " available = if_not_exists(available, :zero) + :delta,"
                            " reserved = if_not_exists(reserved, :zero), sku = :sku, entity = :entity,"
                            " GSI1PK = :skus, GSI1SK = :sku, updated_at = :at REMOVE outbox"
                        ),
                        "ConditionExpression": "attribute_not_exists(PK) OR available >= :neg",
                        "ExpressionAttributeValues": {
                            ":zero": to_attr(0),
                            ":delta": to_attr(delta),
                            ":neg": to_attr(max(0, -delta)),
                            ":sku": to_attr(sku),
                            ":skus": to_attr(keys.SKUS),
                            ":at": to_attr(iso(at)),
                            ":entity": to_attr("stock"),
                        },
                    }
                }
            )
            try:
                self.table.transact(items)
            except TransactionCancelled as cancelled:
                codes = cancelled.codes()
                for i, location in enumerate(sorted(counts)):
                    if codes[2 * i + 1] == "ConditionalCheckFailed":
                        raise NotFound(
                            f"unknown location {location!r}", code="unknown_location"
                        ) from cancelled
                if codes[-1] == "ConditionalCheckFailed":
                    raise Conflict(
                        f"{sku} has more reserved for orders than the new counts leave available",
                        code="on_hand_below_reserved",
                    ) from cancelled
                continue  # a count changed under us (or the transaction conflicted): read again
            return
        raise Conflict(f"{sku} kept changing; try again", code="concurrent_update")

    def available_at(self, skus: Sequence[str], locations: Sequence[str]) -> dict[tuple[str, str], int]:
        """(location, sku) -> what that location can still promise to new shipments."""
        return {(str(lv.location), lv.sku): lv.available for lv in self.location_levels(skus, locations)}
