"""Stock per SKU (total over locations) and per SKU and location.

Two levels, both with on_hand / reserved / available:
- ``SKU#<sku> / TOTAL``: ``reserved`` is what orders hold; intake reserves here, one item per line.
- ``SKU#<sku> / LOC#<location>``: ``reserved`` is what shipments from that location hold.
Every move is a conditional update inside the caller's transaction; nothing is read first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, TransactionCancelled, decode_cursor, encode_cursor
from oms.data.item_codec import from_attr, from_item, pack, to_attr, to_item
from oms.errors import ConcurrentModification, Conflict, NotFound
from oms.models import ShortLine, StockLevel
from oms.order_changes import MoveKind, StockMove
from oms.stock import CountPlan
from oms.timeutil import iso

# What each move does to an item's (on_hand, reserved); available is on_hand - reserved.
_DELTAS: dict[MoveKind, tuple[int, int]] = {
    MoveKind.RESERVE: (0, 1),
    MoveKind.ALLOCATE: (0, 1),
    MoveKind.RELEASE: (0, -1),
    MoveKind.DEALLOCATE: (0, -1),
    MoveKind.COMMIT: (-1, -1),
    MoveKind.TAKE: (-1, 0),
    MoveKind.RESTOCK: (1, 0),
}


@dataclass(frozen=True, slots=True)
class StockDelta:
    """All of one change's moves on one stock item, netted: a transaction may touch an item once."""

    sku: str
    location: str | None
    on_hand: int
    reserved: int
    reserving: int = 0  # of which reservations at the SKU's total (to name a short line)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def refusable(self) -> bool:
        """It takes available stock: the item may refuse it (short, or changed since planned)."""
        return self.available < 0

    def inverse(self) -> StockDelta:
        return StockDelta(self.sku, self.location, -self.on_hand, -self.reserved)

    def record(self) -> list[Any]:
        return [self.sku, self.location, self.on_hand, self.reserved, self.reserving]

    @classmethod
    def from_record(cls, record: list[Any]) -> StockDelta:
        return cls(str(record[0]), record[1], int(record[2]), int(record[3]), int(record[4]))


def net(moves: Sequence[StockMove]) -> list[StockDelta]:
    """One delta per stock item, refusable ones first (see oms.data.staged_commit), in a stable
    order; moves that cancel out leave nothing."""
    sums: dict[tuple[str, str | None], list[int]] = {}
    for move in moves:
        if move.quantity <= 0:
            raise ValueError("a stock move needs a positive quantity")
        if move.kind in (MoveKind.ALLOCATE, MoveKind.DEALLOCATE) and not move.location:
            raise ValueError(f"{move.kind} needs a location")
        h, r = _DELTAS[move.kind]
        entry = sums.setdefault((move.sku, move.location), [0, 0, 0])
        entry[0] += h * move.quantity
        entry[1] += r * move.quantity
        if move.kind == MoveKind.RESERVE:
            entry[2] += move.quantity
    deltas = [
        StockDelta(sku, location, h, r, reserving)
        for (sku, location), (h, r, reserving) in sorted(
            sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        )
        if h or r
    ]
    return [d for d in deltas if d.refusable] + [d for d in deltas if not d.refusable]


def delta_update(delta: StockDelta, at: datetime) -> dict[str, Any]:
    """The transaction item for one stock item's delta, conditioned so that no level goes below 0."""
    sk = keys.sku_location_sk(delta.location) if delta.location else keys.SKU_TOTAL_SK
    values: dict[str, Any] = {
        ":h": to_attr(delta.on_hand),
        ":r": to_attr(delta.reserved),
        ":a": to_attr(delta.available),
        ":at": {"S": iso(at)},
    }
    # A SKU's total counts its changes (stock_version): what the channels are told is ordered by it.
    version = ""
    if delta.location is None:
        version, values[":one"] = " ADD stock_version :one", to_attr(1)
    conditions = ["attribute_exists(available)"]
    for name, change in (
        ("available", delta.available),
        ("reserved", delta.reserved),
        ("on_hand", delta.on_hand),
    ):
        if change < 0:
            conditions.append(f"{name} >= :min_{name}")
            values[f":min_{name}"] = to_attr(-change)
    return {
        "Update": {
            "Key": {"PK": {"S": keys.sku_pk(delta.sku)}, "SK": {"S": sk}},
            "UpdateExpression": (
                "SET on_hand = on_hand + :h, reserved = reserved + :r, available = available + :a,"
                f" updated_at = :at REMOVE outbox{version}"
            ),
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def shortage(refused: list[tuple[StockDelta, dict[str, Any]]]) -> list[ShortLine]:
    """The short lines among refused stock deltas: reservations at a SKU's total (None available:
    the SKU does not exist)."""
    short = []
    for delta, reason in refused:
        if delta.location is not None or not delta.reserving:
            continue
        old = reason.get("Item")
        available = int(from_attr(old["available"])) if old and "available" in old else None
        short.append(ShortLine(sku=delta.sku, requested=delta.reserving, available=available))
    return short


def _count_items(
    plan: CountPlan, *, at: datetime, actor: str
) -> tuple[list[dict[str, Any]], list[tuple[str, str | None]]]:
    """The count's transaction items, and what each is (to name a refusal)."""
    items: list[dict[str, Any]] = []
    roles: list[tuple[str, str | None]] = []  # what each transaction item is, for its refusal
    for count in plan.locations:
        item = {
            "PK": keys.sku_pk(plan.sku),
            "SK": keys.sku_location_sk(count.location),
            "entity": "stock",
            "sku": plan.sku,
            "location": count.location,
            "on_hand": count.on_hand,
            "reserved": count.reserved,
            "available": count.on_hand - count.reserved,
            "updated_at": iso(at),
            "updated_by": actor,
            "outbox": pack([count.event.model_dump(mode="json")]),
        }
        put: dict[str, Any] = {"Put": {"Item": to_item(item)}}
        if count.previous_on_hand is not None:
            put["Put"]["ConditionExpression"] = "on_hand = :old AND reserved = :reserved"
            put["Put"]["ExpressionAttributeValues"] = {
                ":old": to_attr(count.previous_on_hand),
                ":reserved": to_attr(count.reserved),
            }
        else:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
        items.append(put)
        roles.append(("level", count.location))
        items.append(
            {
                "ConditionCheck": {
                    "Key": {"PK": {"S": keys.location_pk(count.location)}, "SK": {"S": keys.LOCATION_SK}},
                    "ConditionExpression": "attribute_exists(PK)",
                }
            }
        )
        roles.append(("location", count.location))
    items.append(
        {
            "Update": {
                "Key": {"PK": {"S": keys.sku_pk(plan.sku)}, "SK": {"S": keys.SKU_TOTAL_SK}},
                "UpdateExpression": (
                    "SET on_hand = if_not_exists(on_hand, :zero) + :delta,"
                    " available = if_not_exists(available, :zero) + :delta,"
                    " reserved = if_not_exists(reserved, :zero), sku = :sku, entity = :entity,"
                    " GSI1PK = :skus, GSI1SK = :sku, updated_at = :at REMOVE outbox ADD stock_version :one"
                ),
                "ConditionExpression": "attribute_not_exists(PK) OR available >= :neg",
                "ExpressionAttributeValues": {
                    ":zero": to_attr(0),
                    ":one": to_attr(1),
                    ":delta": to_attr(plan.total_delta),
                    ":neg": to_attr(plan.total_release_needed),
                    ":sku": to_attr(plan.sku),
                    ":skus": to_attr(keys.SKUS),
                    ":at": to_attr(iso(at)),
                    ":entity": to_attr("stock"),
                },
            }
        }
    )
    roles.append(("total", None))
    return items, roles


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
            sk = item["SK"]["S"]
            if sk == keys.SKU_TOTAL_SK:
                total = _level(item)
            elif sk.startswith(keys.SKU_LOCATION_PREFIX):  # not the channels' listings of the SKU
                locations.append(_level(item))
        return total, sorted(locations, key=lambda lv: lv.location or "")

    def totals(self, skus: list[str]) -> dict[str, StockLevel]:
        items = self.table.batch_get([(keys.sku_pk(s), keys.SKU_TOTAL_SK) for s in skus])
        return {lv.sku: lv for lv in map(_level, items)}

    def location_levels(self, skus: Sequence[str], locations: Sequence[str]) -> list[StockLevel]:
        pairs = [(keys.sku_pk(s), keys.sku_location_sk(loc)) for s in skus for loc in locations]
        # Plans allocation only: the allocate moves' conditions decide, so eventual reads do.
        return [_level(item) for item in self.table.batch_get(pairs, consistent=False)]

    def stocked(self, skus: list[str]) -> set[str]:
        """Which of these SKUs we have ever counted (their totals exist)."""
        found = self.table.batch_get([(keys.sku_pk(s), keys.SKU_TOTAL_SK) for s in skus], attributes=("sku",))
        return {item["sku"]["S"] for item in found}

    def sku_page(self, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """Our SKUs (those ever counted), a page at a time, in SKU order."""
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.SKUS}},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return [item["sku"]["S"] for item in response.get("Items", [])], (
            encode_cursor(last) if last else None
        )

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

    def write_count(self, plan: CountPlan, *, at: datetime, actor: str) -> None:
        """Each counted location and the SKU's total in one transaction, conditioned on the levels
        the plan was made from. Raises NotFound (a location that does not exist), Conflict (the
        total would not cover its reservations) or ConcurrentModification (counts moved: plan again)."""
        items, roles = _count_items(plan, at=at, actor=actor)
        try:
            self.table.transact(items)
        except TransactionCancelled as cancelled:
            refused = [
                role
                for role, code in zip(roles, cancelled.codes(), strict=False)
                if code == "ConditionalCheckFailed"
            ]
            missing = [location for kind, location in refused if kind == "location"]
            if missing:
                raise NotFound(f"unknown location {missing[0]!r}", code="unknown_location") from cancelled
            if ("total", None) in refused:
                raise Conflict(
                    f"{plan.sku} has more reserved for orders than the new counts leave available",
                    code="on_hand_below_reserved",
                ) from cancelled
            raise ConcurrentModification(plan.sku) from cancelled

    def available_at(self, skus: Sequence[str], locations: Sequence[str]) -> dict[tuple[str, str], int]:
        """(location, sku) -> what that location can still promise to new shipments."""
        return {(str(lv.location), lv.sku): lv.available for lv in self.location_levels(skus, locations)}
