"""DynamoDB capacity units of recorded calls, from item sizes, by DynamoDB's published rules:
a write unit per started KB written (the larger of the old and new item), a read unit per started
4 KB read (half for eventually consistent reads), transactions twice, plus one write per index
whose projected copy of the item changes."""

from __future__ import annotations

import math
from typing import Any

from oms_local.awscalls import Call


def attr_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(str(inner).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(attr_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attr_size(v) + 1 for k, v in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in inner)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attr_size(value) for name, value in item.items())


class Indexes:
    """The table's GSIs: which items they hold and how big their copies are."""

    def __init__(self, table_properties: dict[str, Any]) -> None:
        self.indexes = []
        for gsi in table_properties.get("GlobalSecondaryIndexes", []):
            keys = [k["AttributeName"] for k in gsi["KeySchema"]]
            projection = gsi["Projection"]
            include = (
                projection.get("NonKeyAttributes", []) if projection["ProjectionType"] == "INCLUDE" else None
            )
            self.indexes.append((gsi["IndexName"], keys, include, projection["ProjectionType"]))
        self.table_keys = [k["AttributeName"] for k in table_properties["KeySchema"]]

    def copies(self, item: dict[str, Any] | None) -> dict[str, tuple[tuple[Any, ...], int]]:
        """index -> (its key values, size of the item's copy), for the indexes holding ``item``."""
        out: dict[str, tuple[tuple[Any, ...], int]] = {}
        if not item:
            return out
        for name, keys, include, kind in self.indexes:
            if not all(k in item for k in keys):
                continue
            if kind == "ALL":
                attrs = item
            else:
                wanted = set(keys) | set(self.table_keys) | set(include or [])
                attrs = {k: v for k, v in item.items() if k in wanted}
            out[name] = (tuple(str(item[k]) for k in keys), item_size(attrs))
        return out

    def writes(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
        """Index write units for changing an item from ``old`` to ``new``."""
        before, after = self.copies(old), self.copies(new)
        units = 0
        for name in set(before) | set(after):
            b, a = before.get(name), after.get(name)
            if b and a and b[0] != a[0]:
                units += math.ceil(b[1] / 1024) + math.ceil(a[1] / 1024)  # key moved: delete + put
            elif a and (not b or a[1] != b[1] or a != b):
                units += math.ceil(a[1] / 1024)
            elif b and not a:
                units += math.ceil(b[1] / 1024)
        return units


def units(calls: list[Call], indexes: Indexes, state: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Read and write units of ``calls``. ``state`` maps "PK|SK" to the item as it was before the
    calls and is updated as writes are replayed (so update sizes and index moves are known)."""

    def key(k: dict[str, Any]) -> str:
        return f"{k['PK']['S']}|{k['SK']['S']}"

    read = write = 0.0

    def apply_write(op: str, spec: dict[str, Any], factor: int) -> None:
        nonlocal write
        k = key(spec["Item"] if op == "Put" else spec["Key"])
        old = state.get(k)
        if op == "Put":
            new: dict[str, Any] | None = spec["Item"]
        elif op == "Delete":
            new = None
        else:  # Update: approximate the new item by the old one (counts are small integers)
            new = dict(old or spec["Key"])
        size = max(item_size(old) if old else 0, item_size(new) if new else 0)
        write += factor * max(1, math.ceil(size / 1024)) + indexes.writes(old, new)
        if new is None:
            state.pop(k, None)
        else:
            state[k] = new

    for call in calls:
        if call.service != "dynamodb" or call.error:
            if call.service == "dynamodb" and call.operation == "TransactWriteItems":
                # A cancelled transaction still consumes the capacity of its condition checks.
                read += 2 * len(call.params.get("TransactItems", []))
            continue
        p, r = call.params, call.response or {}
        if call.operation == "GetItem":
            size = item_size(r.get("Item", {})) if r.get("Item") else 1
            read += math.ceil(size / 4096) * (1 if p.get("ConsistentRead") else 0.5)
        elif call.operation == "BatchGetItem":
            for table, items in r.get("Responses", {}).items():
                factor = 1 if p.get("RequestItems", {}).get(table, {}).get("ConsistentRead") else 0.5
                for item in items:
                    read += math.ceil(item_size(item) / 4096) * factor
        elif call.operation == "Query":
            total = sum(item_size(i) for i in r.get("Items", []))
            read += max(1, math.ceil(total / 4096)) * (1 if p.get("ConsistentRead") else 0.5)
        elif call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
            op = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[call.operation]
            apply_write(op, p, 1)
        elif call.operation == "TransactWriteItems":
            for entry in p["TransactItems"]:
                ((op, spec),) = entry.items()
                if op == "ConditionCheck":
                    read += 2
                else:
                    apply_write(op, spec, 2)
    return {"read_units": read, "write_units": write}
