"""Allocating an order's lines to locations as shipments (oms.fulfilment.allocate_order), with
optimistic concurrency: a location's stock that changed meanwhile is read again and planned again."""

from __future__ import annotations

from oms import fulfilment
from oms.errors import ConcurrentModification, Conflict, NotFound
from oms.order_changes import Actor
from oms.ports import Locations, Shipments, StockLevels, Stores
from oms.shipments import Shipment

ATTEMPTS = 5


class AllocationService:
    def __init__(
        self, shipments: Shipments, stores: Stores, locations: Locations, stock: StockLevels
    ) -> None:
        self.shipments, self.stores, self.locations, self.stock = shipments, stores, locations, stock

    def allocate(self, order_id: str, actor: Actor, *, by_staff: bool = False) -> list[Shipment]:
        """Shipments for what the order has reserved, or ships without stock, and no shipment
        carries. Safe to repeat: a second run finds nothing left."""
        for _ in range(ATTEMPTS):
            order, existing = self.shipments.order_with_shipments(order_id)
            if order is None:
                if by_staff:
                    raise NotFound(f"no order {order_id!r}", code="order_not_found")
                return []
            locations = self.locations.all()
            skus = sorted(order.reservation.reserved)
            available = self.stock.available_at(skus, [loc.location_id for loc in locations]) if skus else {}
            change = fulfilment.allocate_order(
                order,
                existing,
                self.stores.find(order.store_id),
                locations,
                available,
                actor,
                by_staff=by_staff,
            )
            if change is None:
                return []
            try:
                self.shipments.save(change)
            except ConcurrentModification:
                continue
            return [sc.shipment for sc in change.shipments]
        if by_staff:
            raise Conflict(
                f"order {order_id} kept changing while it was being allocated (stock moving at its"
                " locations, or another step running); try again",
                code="concurrent_update",
            )
        raise ConcurrentModification(f"order {order_id} kept changing while allocating")
