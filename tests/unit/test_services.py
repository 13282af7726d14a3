"""The services over in-memory ports (tests/unit/memory.py): intake exactly once, with its shortage
and conflict paths; allocation and shipping; the staff steps' refusals."""

from __future__ import annotations

import pytest

from oms.carriers.sandbox_carrier import SandboxCarrier
from oms.channels.incoming import normalise
from oms.errors import ConcurrentModification, Conflict
from oms.intake_message import RETRY_TOPIC
from oms.models import OrderSnapshot
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.services.allocation_service import AllocationService
from oms.services.intake_service import IntakeService
from oms.services.shipping_service import ShippingService
from oms.services.tracking_service import TrackingService
from oms.shipments import Label
from tests.unit.builders import EAST, NOW, STORE, WEST, actor, shopify_payload, store
from tests.unit.memory import (
    MemoryLocations,
    MemoryQueue,
    MemoryShipments,
    MemoryStock,
    MemoryStores,
    MemoryVariants,
)

S = OrderStatus


class Carriers:
    def __init__(self) -> None:
        self.sandbox = SandboxCarrier()
        self.voided: list[str] = []

    def for_store(self, _: object) -> SandboxCarrier:
        return self.sandbox

    def for_label(self, label: Label) -> Carriers:
        return self

    def void(self, label: Label) -> None:
        self.voided.append(str(label.tracking_number))

    def __getattr__(self, name: str) -> object:
        return getattr(self.sandbox, name)


class World:
    def __init__(self) -> None:
        self.stock = MemoryStock()
        self.shipments = MemoryShipments(self.stock)
        self.stores = MemoryStores({STORE: store(location_priority=["wh-east"])})
        self.locations = MemoryLocations([EAST, WEST])
        self.queue = MemoryQueue()
        self.carriers = Carriers()
        self.intake = IntakeService(self.shipments, self.stores, self.locations, self.stock, MemoryVariants())
        self.allocation = AllocationService(self.shipments, self.stores, self.locations, self.stock)
        tracking = TrackingService(self.shipments, self.carriers)
        self.shipping = ShippingService(
            self.shipments, self.stores, self.locations, self.carriers, tracking, self.queue
        )

    def deliver(self, payload: dict, minute: int = 0, topic: str = "orders/create") -> str:
        incoming = normalise("shopify", topic, payload, store_id=STORE, received_at=NOW)
        assert isinstance(incoming, OrderSnapshot)
        return self.intake.record(
            incoming, actor(minutes=minute), expect_new=topic == "orders/create"
        ).outcome


@pytest.fixture
def world() -> World:
    w = World()
    w.stock.count("A", wh_east=5)
    w.stock.count("B", wh_west=1)
    return w


def test_an_order_delivered_three_times_is_recorded_and_reserved_once(world: World) -> None:
    payload = shopify_payload(lines={"A": 2})
    assert [world.deliver(payload, m) for m in range(3)] == ["created", "unchanged", "unchanged"]
    assert world.stock.level("A") == (5, 2, 3)
    assert world.shipments.kinds() == ["OrderPlaced", "OrderConfirmed"]


def test_a_shortage_at_commit_is_decided_again_as_a_hold_reserving_nothing(world: World) -> None:
    world.deliver(shopify_payload(lines={"A": 2, "B": 2}))
    order = world.shipments.orders[f"{STORE}.1001"]
    assert (order.status, order.hold and order.hold.reason) == (S.ON_HOLD, HoldReason.OUT_OF_STOCK)
    assert [(s.sku, s.requested, s.available) for s in order.hold.short_lines] == [("B", 2, 1)]
    assert world.stock.level("A") == (5, 0, 5)


def test_a_write_that_loses_a_race_is_read_and_decided_again(world: World) -> None:
    world.deliver(shopify_payload(lines={"A": 1}))
    world.shipments.fail_next = [ConcurrentModification("x")]
    cancelled = shopify_payload(lines={"A": 1}, financial_status="voided", updated_at="2026-06-01T11:00:00Z")
    assert world.deliver(cancelled, 1, topic="orders/updated") == "updated"
    assert world.shipments.orders[f"{STORE}.1001"].status == S.CANCELLED
    assert world.stock.level("A") == (5, 0, 5)


def test_allocation_then_shipping_commits_the_stock_once_however_often_it_is_asked(world: World) -> None:
    world.deliver(shopify_payload(lines={"A": 2}))
    order_id = f"{STORE}.1001"
    (shipment,) = world.allocation.allocate(order_id, actor(minutes=1))
    assert world.allocation.allocate(order_id, actor(minutes=2)) == []
    assert world.stock.level("A", "wh-east") == (5, 2, 3)
    world.shipping.buy_label(shipment.shipment_id, actor(minutes=3))
    for _ in range(2):
        world.shipping.ship(shipment.shipment_id, actor(minutes=4))
    assert world.stock.level("A") == (3, 0, 3)
    assert world.stock.level("A", "wh-east") == (3, 0, 3)
    assert world.shipments.orders[order_id].status == S.SHIPPED


def test_a_label_for_a_shipment_that_left_is_refused_for_what_it_is_and_nothing_is_bought(
    world: World,
) -> None:
    world.deliver(shopify_payload(lines={"A": 1}))
    (shipment,) = world.allocation.allocate(f"{STORE}.1001", actor(minutes=1))
    world.shipping.ship(shipment.shipment_id, actor(minutes=2))
    with pytest.raises(Conflict) as refused:
        world.shipping.buy_label(shipment.shipment_id, actor(minutes=3))
    assert refused.value.code == "shipment_already_shipped"
    assert world.carriers.voided == []


def test_cancelling_a_packed_shipment_that_held_an_order_asks_the_intake_to_decide_it_again(
    world: World,
) -> None:
    payload = shopify_payload(lines={"A": 1})
    world.deliver(payload)
    (shipment,) = world.allocation.allocate(f"{STORE}.1001", actor(minutes=1))
    world.shipping.buy_label(shipment.shipment_id, actor(minutes=2))
    world.shipping.pack(shipment.shipment_id, actor(minutes=3))
    world.deliver(
        payload | {"financial_status": "refunded", "updated_at": "2026-06-01T11:00:00Z"}, 4, "orders/updated"
    )
    order = world.shipments.orders[f"{STORE}.1001"]
    assert (order.status, order.hold and order.hold.reason) == (S.ON_HOLD, HoldReason.MANUAL)
    world.shipping.cancel(shipment.shipment_id, actor(minutes=5), reason="unpacked")
    (retry,) = world.queue.messages
    assert (retry.topic, retry.group_id) == (RETRY_TOPIC, f"{STORE}.1001")
    assert len(world.carriers.voided) == 1
    assert world.shipments.shipments[shipment.shipment_id].labels_to_void == []
