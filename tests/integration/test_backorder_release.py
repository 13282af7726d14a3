"""Orders held out of stock are released by the stock that arrives, oldest first (moto: the bus,
the backorder-release queue and function, the intake)."""

from __future__ import annotations

from oms_local.samples import shopify_delivery, shopify_order
from tests.stack import Stack, redelivered


def held_order(shop: Stack, secret: str, n: int, sku: str, quantity: int, placed: str) -> str:
    payload = shopify_order(n, skus={sku: quantity}, updated_at=placed)
    payload["created_at"] = placed
    status, body = shop.deliver(
        shopify_delivery(payload, store_id="demo-shopify", secret=secret, event_id=f"backorder-{n}")
    )
    assert status == 202, body
    order = shop.order(f"demo-shopify.{n}")
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "out_of_stock")
    return str(order["order_id"])


def test_stock_counted_in_releases_the_held_orders_it_covers_oldest_first(
    shop: Stack, shopify_secret: str
) -> None:
    sku = shop.new_sku("BACK", wh_east=0)
    big = held_order(shop, shopify_secret, 91_001, sku, 2, "2026-06-01T09:00:00Z")
    small = held_order(shop, shopify_secret, 91_002, sku, 1, "2026-06-01T09:05:00Z")
    later = held_order(shop, shopify_secret, 91_003, sku, 1, "2026-06-01T09:10:00Z")

    shop.set_stock(sku, wh_east=1)  # covers one small order: the older one
    shop.cloud.drain()
    assert [shop.order(o)["status"] for o in (big, small, later)] == ["on_hold", "confirmed", "on_hold"]
    assert shop.stock(sku)["reserved"] == 1

    shop.set_stock(sku, wh_east=3)  # two more: the big order, oldest, takes both
    shop.cloud.drain()
    assert [shop.order(o)["status"] for o in (big, small, later)] == ["confirmed", "confirmed", "on_hold"]
    released = shop.order(big)
    assert released["reservation"]["reserved"] == {sku: 2}
    assert released["timeline"][-1]["actor"] == "system:backorder-release"
    assert released["timeline"][-1]["reason"] == "out_of_stock resolved"
    level = shop.stock(sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 3, 0)

    # The same stock event delivered again releases nothing more and moves no stock.
    (adjusted,) = [e for e in shop.events.of_type("StockAdjusted") if e["detail"]["sku"] == sku][-1:]
    result = shop.cloud.invoker.invoke("BackorderReleaseFunction", redelivered(adjusted))
    assert result.ok, result.error
    shop.cloud.drain()
    assert shop.order(later)["status"] == "on_hold"
    assert shop.stock(sku)["reserved"] == 3


def test_a_count_that_lowers_stock_releases_nothing(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("BACKLOW", wh_east=1)
    waiting = held_order(shop, shopify_secret, 91_010, sku, 5, "2026-06-01T09:00:00Z")
    shop.set_stock(sku, wh_east=0)
    shop.cloud.drain()
    assert shop.order(waiting)["status"] == "on_hold"
    assert shop.queue_depth("BackorderDLQ") == 0


def test_stock_freed_by_a_staff_cancel_releases_the_order_held_for_it(
    shop: Stack, shopify_secret: str
) -> None:
    sku = shop.new_sku("FREED", wh_east=1)
    first = shopify_order(91_101, skus={sku: 1}, updated_at="2026-06-01T09:00:00Z")
    assert shop.deliver(shopify_delivery(first, store_id="demo-shopify", secret=shopify_secret))[0] == 202
    assert shop.order("demo-shopify.91101")["status"] == "confirmed"  # it took the only unit
    waiting = held_order(shop, shopify_secret, 91_102, sku, 1, "2026-06-01T09:05:00Z")
    status, done = shop.api("POST", "/orders/demo-shopify.91101/cancel", {"reason": "customer"})
    assert (status, done["status"]) == (200, "cancelled")
    shop.cloud.drain()
    released = shop.order(waiting)
    assert (released["status"], released["reservation"]["reserved"]) == ("confirmed", {sku: 1})
    assert released["timeline"][-1]["actor"] == "system:backorder-release"
    (cancelled,) = shop.events.of_type("OrderLinesCancelled", "demo-shopify.91101")
    assert cancelled["detail"]["freed_skus"] == [sku]


def test_a_refund_that_frees_no_stock_names_no_sku_to_release(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("NOFREE", wh_east=3)
    placed = shopify_order(91_201, skus={sku: 1}, updated_at="2026-06-01T09:00:00Z")
    assert shop.deliver(shopify_delivery(placed, store_id="demo-shopify", secret=shopify_secret))[0] == 202
    status, _ = shop.api("POST", "/orders/demo-shopify.91201/refunds", {"amount": "1.00", "reason": "late"})
    assert status == 201
    shop.cloud.drain()
    (created,) = shop.events.of_type("RefundCreated", "demo-shopify.91201")
    assert created["detail"]["freed_skus"] == []
    assert shop.queue_depth("BackorderDLQ") == 0
