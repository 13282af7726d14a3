"""Orders held out of stock, released oldest first when stock arrives (oms.backorders and
oms.services.backorder_release over in-memory ports)."""

from __future__ import annotations

from oms.backorders import HeldOrder, held_from_summary, releasable, restocked_sku
from oms.models import StockLevel
from oms.services.backorder_release import BackorderRelease
from tests.unit.builders import NOW
from tests.unit.memory import MemoryQueue


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

    def held_out_of_stock(self, sku: str) -> list[HeldOrder]:
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
