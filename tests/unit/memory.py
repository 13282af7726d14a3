"""In-memory implementations of the services' ports (oms.ports): what the unit tier runs the pure
core and the services against. They keep the contract the DynamoDB repositories keep: a change is
committed whole or not at all, a version that moved is a ConcurrentModification, a reservation
beyond what is available is a StockShortage naming the short SKUs, and no level goes below zero."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.domain_events import OutboxEvent
from oms.errors import ConcurrentModification, NotFound, StockShortage
from oms.fulfilment import FulfilmentChange
from oms.intake_message import IntakeMessage
from oms.line_identity import VariantMapping
from oms.models import Location, Order, ShortLine, StockLevel, Store
from oms.order_changes import MoveKind, StockMove
from oms.shipments import ON_THE_WAY, Shipment

# (on_hand, reserved) per unit of each move.
DELTAS = {
    MoveKind.RESERVE: (0, 1),
    MoveKind.ALLOCATE: (0, 1),
    MoveKind.RELEASE: (0, -1),
    MoveKind.DEALLOCATE: (0, -1),
    MoveKind.COMMIT: (-1, -1),
    MoveKind.TAKE: (-1, 0),
    MoveKind.RESTOCK: (1, 0),
}


@dataclass
class MemoryStock:
    levels: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)  # -> [on_hand, reserved]

    def count(self, sku: str, **locations: int) -> None:
        for location, on_hand in locations.items():
            self.levels[(sku, location.replace("_", "-"))] = [on_hand, 0]
        total = sum(v[0] for (s, loc), v in self.levels.items() if s == sku and loc is not None)
        reserved = self.levels.get((sku, None), [0, 0])[1]
        self.levels[(sku, None)] = [total, reserved]

    def level(self, sku: str, location: str | None = None) -> tuple[int, int, int]:
        on_hand, reserved = self.levels.get((sku, location), [0, 0])
        return on_hand, reserved, on_hand - reserved

    def apply(self, moves: Sequence[StockMove]) -> None:
        """All moves or none; refused as the conditional updates refuse them."""
        net: dict[tuple[str, str | None], list[int]] = {}
        reserving: dict[str, int] = {}
        kinds: dict[tuple[str, str | None], set[MoveKind]] = {}
        for move in moves:
            h, r = DELTAS[move.kind]
            entry = net.setdefault((move.sku, move.location), [0, 0])
            entry[0] += h * move.quantity
            entry[1] += r * move.quantity
            kinds.setdefault((move.sku, move.location), set()).add(move.kind)
            if move.kind == MoveKind.RESERVE:
                reserving[move.sku] = reserving.get(move.sku, 0) + move.quantity
        short, refused = [], False
        for key, (h, r) in net.items():
            current = self.levels.get(key)
            if current is None:
                if key[1] is None and reserving.get(key[0]):
                    short.append(ShortLine(sku=key[0], requested=reserving[key[0]], available=None))
                else:
                    refused = True
                continue
            on_hand, reserved = current[0] + h, current[1] + r
            if on_hand - reserved < 0 and (h - r) < 0:
                if key[1] is None and reserving.get(key[0]):
                    short.append(
                        ShortLine(sku=key[0], requested=reserving[key[0]], available=current[0] - current[1])
                    )
                elif kinds[key] & {MoveKind.ALLOCATE, MoveKind.TAKE}:
                    refused = True
                else:
                    raise AssertionError(f"stock invariant broken at {key}")
            elif on_hand < 0 or reserved < 0:
                raise AssertionError(f"stock invariant broken at {key}")
        if short:
            raise StockShortage(sorted(short, key=lambda s: s.sku or ""))
        if refused:
            raise ConcurrentModification("a location's stock changed")
        for key, (h, r) in net.items():
            self.levels[key][0] += h
            self.levels[key][1] += r

    # the StockLevels port
    def available_at(self, skus: Sequence[str], locations: Sequence[str]) -> dict[tuple[str, str], int]:
        return {
            (loc, sku): self.level(sku, loc)[2]
            for sku in skus
            for loc in locations
            if (sku, loc) in self.levels
        }

    def totals(self, skus: list[str]) -> dict[str, StockLevel]:
        out = {}
        for sku in skus:
            if (sku, None) in self.levels:
                on_hand, reserved, available = self.level(sku)
                out[sku] = StockLevel(sku=sku, on_hand=on_hand, reserved=reserved, available=available)
        return out


@dataclass
class MemoryShipments:
    """Orders with their shipments (the Shipments port), and the events every commit carried."""

    stock: MemoryStock
    orders: dict[str, Order] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    events: list[OutboxEvent] = field(default_factory=list)
    commits: int = 0
    fail_next: list[Exception] = field(default_factory=list)  # raised by the next saves, in turn

    def get_order(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]:
        found = [s for s in self.shipments.values() if s.order_id == order_id]
        return self.orders.get(order_id), sorted(found, key=lambda s: s.shipment_id)

    def get(self, shipment_id: str) -> Shipment:
        if shipment_id not in self.shipments:
            raise NotFound(f"no shipment {shipment_id!r}", code="shipment_not_found")
        return self.shipments[shipment_id]

    def save(self, change: FulfilmentChange) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        if change.order is not None:
            order = change.order
            stored = self.orders.get(order.order.order_id)
            if (stored.version if stored else None) != order.expected_version:
                raise ConcurrentModification(order.order.order_id)
        for sc in change.shipments:
            stored_shipment = self.shipments.get(sc.shipment.shipment_id)
            if (stored_shipment.version if stored_shipment else None) != sc.expected_version:
                raise ConcurrentModification(sc.shipment.shipment_id)
        self.stock.apply(change.moves)
        self.commits += 1
        if change.order is not None:
            self.orders[change.order.order.order_id] = change.order.order
            self.events += change.order.events
        for sc in change.shipments:
            self.shipments[sc.shipment.shipment_id] = sc.shipment
            self.events += sc.events

    def tracking_due(self, now: datetime, *, limit: int) -> list[str]:
        due = [
            s
            for s in self.shipments.values()
            if s.status in ON_THE_WAY
            and s.tracking.next_check_at is not None
            and s.tracking.next_check_at <= now
        ]
        due.sort(key=lambda s: (s.tracking.next_check_at, s.shipment_id))
        return [s.shipment_id for s in due[:limit]]

    def delivered_orders(self, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
        return [o.order_id for o in self.orders.values() if o.status == "delivered"], None

    def kinds(self, order_id: str | None = None) -> list[str]:
        return [e.type for e in self.events if order_id is None or e.detail.get("order_id") == order_id]


class MemoryOrders:
    """The OrderReader port over MemoryShipments."""

    def __init__(self, shipments: MemoryShipments) -> None:
        self.shipments = shipments

    def get(self, order_id: str) -> Order | None:
        return self.shipments.orders.get(order_id)


@dataclass
class MemoryStores:
    stores: dict[str, Store] = field(default_factory=dict)

    def find(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)


@dataclass
class MemoryLocations:
    locations: list[Location] = field(default_factory=list)

    def all(self) -> list[Location]:
        return list(self.locations)


@dataclass
class MemoryVariants:
    mappings: dict[tuple[str, str], VariantMapping] = field(default_factory=dict)

    def find(self, store_id: str, variant_keys: Sequence[str]) -> dict[str, VariantMapping]:
        return {k: self.mappings[(store_id, k)] for k in variant_keys if (store_id, k) in self.mappings}

    def record_seen(self, seen: Sequence[VariantMapping]) -> None:
        for mapping in seen:
            self.mappings.setdefault((mapping.store_id, mapping.variant_key), mapping)


@dataclass
class MemoryQueue:
    messages: list[IntakeMessage] = field(default_factory=list)

    def enqueue(self, message: IntakeMessage) -> str:
        self.messages.append(message)
        return f"m-{len(self.messages)}"
