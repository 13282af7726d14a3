"""Orders held out of stock, released oldest first when stock arrives (oms.backorders and
oms.services.backorder_release over in-memory ports)."""

from __future__ import annotations

from oms.backorders import (
    HeldOrder,
    held_from_summary,
    releasable,
    restocked_sku,
    waiting_from_summary,
    waiting_skus,
)
from oms.channels.incoming import RetryOrder, normalise
from oms.models import Channel, Order, OrderSnapshot, StockLevel
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.services.backorder_release import BackorderRelease
from oms.services.intake_service import IntakeService
from tests.unit.builders import EAST, NOW, STORE, actor, shopify_payload, store
from tests.unit.memory import (
    MemoryLocations,
    MemoryQueue,
    MemoryShipments,
    MemoryStock,
    MemoryStores,
    MemoryVariants,
)

S = OrderStatus


def held(n: int, **short: int) -> HeldOrder:
    return HeldOrder(f"shop.{n}", "shop", "shopify", f"2026-06-01T10:{n:02d}:00Z", short)


def test_a_rise_in_on_hand_is_a_restock_and_a_fall_or_a_recount_is_not() -> None:
    assert restocked_sku({"sku": "A", "on_hand": 5, "previous_on_hand": 2}) == "A"
    assert restocked_sku({"sku": "A", "on_hand": 3, "previous_on_hand": None}) == "A"  # a new location
    assert restocked_sku({"sku": "A", "on_hand": 2, "previous_on_hand": 2}) is None
    assert restocked_sku({"sku": "A", "on_hand": 1, "previous_on_hand": 4}) is None
    assert restocked_sku({"sku": "A", "on_hand": 0, "previous_on_hand": None}) is None
    assert restocked_sku({"on_hand": 5}) is None


def test_the_stock_goes_to_the_oldest_orders_it_covers_in_full() -> None:
    first, second, third = held(1, A=3), held(2, A=2), held(3, A=1)
    assert releasable([third, second, first], {"A": 4}) == [first, third]
    assert releasable([first, second], {"A": 2}) == [second]  # a big order does not block a small one
    assert releasable([first], {"A": 2}) == []


def test_an_order_short_of_several_skus_waits_until_all_are_covered() -> None:
    both = held(1, A=1, B=1)
    assert releasable([both], {"A": 5}) == []
    assert releasable([both], {"A": 5, "B": 0}) == []
    assert releasable([both], {"A": 5, "B": 1}) == [both]


def test_only_an_out_of_stock_hold_with_short_skus_is_a_held_order() -> None:
    summary = {
        "order_id": "shop.7",
        "store_id": "shop",
        "channel": "woocommerce",
        "placed_at": "2026-06-01T10:00:00Z",
        "status": "on_hold",
        "hold": {"reason": "out_of_stock", "short_lines": [{"sku": "A", "requested": 2, "available": 0}]},
    }
    order = held_from_summary(summary)
    assert order is not None
    assert (order.short, order.channel_order_id) == ({"A": 2}, "7")
    assert held_from_summary(summary | {"status": "confirmed"}) is None
    assert held_from_summary(summary | {"hold": {"reason": "unknown_sku", "short_lines": []}}) is None
    assert held_from_summary(summary | {"hold": {"reason": "out_of_stock", "short_lines": []}}) is None


class Held:
    def __init__(self, *orders: HeldOrder) -> None:
        self.orders = orders
        self.asked: list[str] = []

    def waiting_for(self, sku: str) -> list[HeldOrder]:
        self.asked.append(sku)
        return [o for o in self.orders if sku in o.short]


class Totals:
    def __init__(self, **available: int) -> None:
        self.available = available

    def totals(self, skus: list[str]) -> dict[str, StockLevel]:
        return {
            s: StockLevel(sku=s, on_hand=self.available[s], reserved=0, available=self.available[s])
            for s in skus
            if s in self.available
        }

    def available_at(self, skus: object, locations: object) -> dict[tuple[str, str], int]:
        raise AssertionError("not used")


def test_a_restock_queues_one_retry_per_covered_order_named_after_the_stock_event() -> None:
    queue = MemoryQueue()
    service = BackorderRelease(Held(held(1, A=3), held(2, A=1, B=1), held(3, A=1)), Totals(A=4, B=1), queue)
    event = {"sku": "A", "location": "wh-east", "on_hand": 4, "previous_on_hand": 0}

    released = service.after_stock_event(event, "stock:A:wh-east:1", NOW)

    assert (released.sku, released.held, released.queued) == ("A", 3, ["shop.1", "shop.2"])
    assert [(m.topic, m.channel_order_id, m.event_id) for m in queue.messages] == [
        ("oms/retry", "1", "release:shop.1:stock:A:wh-east:1"),
        ("oms/retry", "2", "release:shop.2:stock:A:wh-east:1"),
    ]
    # The same event again: the same messages (the intake queue's deduplication ids).
    service.after_stock_event(event, "stock:A:wh-east:1", NOW)
    assert [m.deduplication_id for m in queue.messages[2:]] == [
        m.deduplication_id for m in queue.messages[:2]
    ]


def test_a_count_that_adds_nothing_reads_nothing() -> None:
    orders, queue = Held(held(1, A=1)), MemoryQueue()
    service = BackorderRelease(orders, Totals(A=0), queue)
    assert service.after_stock_event({"sku": "A", "on_hand": 0, "previous_on_hand": 3}, "e", NOW).queued == []
    assert (orders.asked, queue.messages) == ([], [])


# ---------------------------------------------------------------------- backordered lines


def test_an_order_that_may_take_part_is_retried_for_any_stock_and_leaves_the_rest_to_younger_ones() -> None:
    partial = HeldOrder("shop.1", "shop", "shopify", "2026-06-01T10:01:00Z", {"A": 3}, partial=True)
    whole = held(2, A=1)
    assert releasable([whole, partial], {"A": 1}) == [partial]  # the older one takes the only unit
    assert releasable([whole, partial], {"A": 4}) == [partial, whole]
    assert releasable([partial], {"A": 0}) == []


def test_the_waiting_index_lists_backordered_orders_and_held_orders_with_what_each_may_take() -> None:
    summary = {
        "order_id": "shop.7",
        "store_id": "shop",
        "channel": "shopify",
        "placed_at": "2026-06-01T10:00:00Z",
        "status": "confirmed",
        "waiting": {"A": 2},
    }
    order = waiting_from_summary(summary)
    assert order is not None
    assert (order.short, order.partial) == ({"A": 2}, True)
    hold = {"reason": "out_of_stock", "short_lines": [{"sku": "A", "requested": 3, "available": 1}]}
    held_whole = summary | {"status": "on_hold", "hold": hold}
    whole = waiting_from_summary(held_whole)
    assert whole is not None
    assert (whole.short, whole.partial) == ({"A": 3}, False)
    part = waiting_from_summary(held_whole | {"ship_available": True})
    assert part is not None
    assert (part.short, part.partial) == ({"A": 3}, True)
    assert waiting_from_summary(summary | {"waiting": {}}) is None


class ShipAvailable:
    """An intake over in-memory ports for a store that ships what is available."""

    def __init__(self, **settings: object) -> None:
        self.stock = MemoryStock()
        self.shipments = MemoryShipments(self.stock)
        self.stores = MemoryStores({STORE: store(backorders="ship_available", **settings)})
        self.intake = IntakeService(
            self.shipments, self.stores, MemoryLocations([EAST]), self.stock, MemoryVariants()
        )

    def deliver(self, lines: dict[str, int]) -> Order:
        incoming = normalise(
            "shopify", "orders/create", shopify_payload(lines=lines), store_id=STORE, received_at=NOW
        )
        assert isinstance(incoming, OrderSnapshot)
        self.intake.record(incoming, actor(), expect_new=True)
        return self.order()

    def retry(self, minutes: int = 5) -> Order:
        incoming = RetryOrder(channel=Channel.SHOPIFY, store_id=STORE, channel_order_id="1001", at=NOW)
        self.intake.record(incoming, actor("system:backorder-release", minutes=minutes))
        return self.order()

    def order(self) -> Order:
        return self.shipments.orders[f"{STORE}.1001"]


def test_ship_available_reserves_what_is_in_stock_and_backorders_the_rest_of_the_line() -> None:
    w = ShipAvailable()
    w.stock.count("A", wh_east=5)
    w.stock.count("B", wh_east=1)
    order = w.deliver({"A": 2, "B": 3})
    b_line = next(line for line in order.lines if line.sku == "B")
    assert order.status == S.CONFIRMED
    assert order.hold is None
    assert order.backordered == {b_line.line_id: 2}
    assert order.reservation.reserved == {"A": 2, "B": 1}
    assert w.stock.level("B") == (1, 1, 0)
    assert w.stock.level("A") == (5, 2, 3)
    assert w.shipments.kinds() == ["OrderPlaced", "OrderConfirmed", "LinesBackordered"]
    assert waiting_skus(order) == {"B": 2}
    assert "2 x Item B backordered" in (order.timeline[-1].reason or "")


def test_backordered_units_are_reserved_when_stock_arrives_and_only_what_arrived() -> None:
    w = ShipAvailable()
    w.stock.count("A", wh_east=5)
    w.stock.count("B", wh_east=1)
    first = w.deliver({"A": 2, "B": 4})
    b_line = next(line.line_id for line in first.lines if line.sku == "B")
    w.stock.count("B", wh_east=3)  # two more came in (one is ours already)
    order = w.retry()
    assert order.backordered == {b_line: 1}
    assert order.reservation.reserved == {"A": 2, "B": 3}
    w.stock.count("B", wh_east=10)
    order = w.retry(minutes=9)
    assert order.backordered == {}
    assert order.reservation.reserved == {"A": 2, "B": 4}
    assert w.shipments.kinds().count("BackorderFilled") == 2
    assert waiting_skus(order) == {}
    events = w.shipments.kinds()
    w.retry(minutes=12)  # nothing waits: a retry moves nothing and says nothing
    assert w.shipments.kinds() == events
    assert w.stock.level("B") == (10, 4, 6)


def test_an_order_none_of_which_is_in_stock_is_held_whole_even_when_the_store_ships_what_is_available() -> (
    None
):
    w = ShipAvailable()
    w.stock.count("B", wh_east=0)
    order = w.deliver({"B": 3})
    assert (order.status, order.hold and order.hold.reason) == (S.ON_HOLD, HoldReason.OUT_OF_STOCK)
    assert order.backordered == {}
    assert order.ship_available
    assert waiting_skus(order) == {"B": 3}
    w.stock.count("B", wh_east=1)
    order = w.retry()  # any stock now ships part of it
    assert order.status == S.CONFIRMED
    assert sum(order.backordered.values()) == 2


def test_a_store_that_holds_keeps_the_order_whole_on_hold() -> None:
    w = ShipAvailable()
    w.stores = MemoryStores({STORE: store()})
    w.intake.stores = w.stores
    w.stock.count("A", wh_east=5)
    w.stock.count("B", wh_east=1)
    order = w.deliver({"A": 2, "B": 3})
    assert order.status == S.ON_HOLD
    assert order.backordered == {}
    assert not order.ship_available
    assert w.stock.level("A") == (5, 0, 5)


def test_the_last_lines_of_a_sku_wait_first_so_earlier_lines_ship_whole() -> None:
    w = ShipAvailable()
    w.stock.count("A", wh_east=3)
    incoming = normalise(
        "shopify",
        "orders/create",
        shopify_payload(lines={"A": 2})
        | {
            "line_items": [
                shopify_payload(lines={"A": 2})["line_items"][0],
                shopify_payload(lines={"A": 2})["line_items"][0] | {"id": 100199},
            ]
        },
        store_id=STORE,
        received_at=NOW,
    )
    assert isinstance(incoming, OrderSnapshot)
    w.intake.record(incoming, actor(), expect_new=True)
    order = w.order()
    assert order.backordered == {"100199": 1}
    assert order.reservation.reserved == {"A": 3}
