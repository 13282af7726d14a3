"""Orders as real stores send them (on the whole stack, moto): lines without SKUs, lines that do
not ship or hold no stock, variants mapped by staff, orders the channel fulfilled itself, and what
the channel changes after allocation (refunds, edits, its own fulfilments)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from oms_local.samples import fixture, shopify_delivery, shopify_order, woocommerce_delivery
from oms_local.seed import WOO_STORE
from tests.stack import Stack

SECRET = "real-store-webhook-secret"
COMPLETER = "OrderCompleterFunctionDaily"


def open_store(shop: Stack, store_id: str, **settings: Any) -> str:
    status, body = shop.api(
        "POST",
        "/stores",
        {
            "store_id": store_id,
            "channel": "shopify",
            "name": store_id,
            "webhook_secret": SECRET,
            "shop_domain": f"{store_id}.myshopify.com",
            "settings": {"location_priority": ["wh-east", "wh-west"], **settings},
        },
    )
    assert status == 201, body
    return store_id


def send(shop: Stack, store_id: str, payload: dict[str, Any], topic: str = "orders/create") -> None:
    delivery = shopify_delivery(
        payload, store_id=store_id, secret=SECRET, shop_domain=f"{store_id}.myshopify.com", topic=topic
    )
    status, body = shop.deliver(delivery)
    assert status == 202, body


def line(payload: dict[str, Any], n: int, **fields: Any) -> dict[str, Any]:
    """A line like the fixture's first, with its own id and the given fields."""
    item = copy.deepcopy(fixture("shopify/orders-create.json")["line_items"][0])
    item.update(id=payload["id"] * 1000 + 500 + n, quantity=1, properties=[])
    item.update(fields)
    return item


def act(shop: Stack, method: str, path: str, body: Any = None, expect: int = 200) -> dict[str, Any]:
    route, _, query = path.partition("?")
    status, _, answer = shop.api.request(method, route, body, query=query)
    assert status == expect, answer
    shop.cloud.drain()
    return dict(answer) if isinstance(answer, dict) else {}


def shipments_of(shop: Stack, order_id: str) -> list[dict[str, Any]]:
    return list(act(shop, "GET", f"/orders/{order_id}/shipments")["shipments"])


def levels(shop: Stack, sku: str) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """(on_hand, reserved) of the SKU's total, and per location."""
    stock = shop.stock(sku)
    return (
        stock["on_hand"],
        stock["reserved"],
        {loc["location"]: (loc["on_hand"], loc["reserved"]) for loc in stock["locations"]},
    )


def path(order: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(t.get("from_status"), t["to_status"]) for t in order["timeline"]]


# ---------------------------------------------------------------- lines that are not plain stock


def test_digital_lines_gift_cards_and_untracked_items_need_no_stock_and_only_physical_ones_ship(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-mixed")
    sku = shop.new_sku("BOOK", wh_east=5)
    payload = shopify_order(9101, skus={sku: 2})
    payload["line_items"] += [
        line(payload, 1, sku="", variant_id=7001, name="E-book", requires_shipping=False),
        line(payload, 2, sku="", variant_id=7002, name="Gift card", gift_card=True, requires_shipping=False),
        # Made to order: Shopify tracks no inventory for it (variant_inventory_management null).
        line(payload, 3, sku="", variant_id=7003, name="Engraved mug", variant_inventory_management=None),
    ]
    send(shop, store, payload)
    order_id = f"{store}.9101"
    order = shop.order(order_id)
    assert order["status"] == "fulfilling"
    assert [(ln["name"], ln["handling"]) for ln in order["lines"]] == [
        (f"Item {sku}", "stock"),
        ("E-book", "none"),
        ("Gift card", "none"),
        ("Engraved mug", "ship"),
    ]
    assert order["reservation"]["reserved"] == {sku: 2}
    (shipment,) = shipments_of(shop, order_id)
    assert [(ln["name"], ln["quantity"], ln["holds_stock"]) for ln in shipment["lines"]] == [
        (f"Item {sku}", 2, True),
        ("Engraved mug", 1, False),
    ]
    act(shop, "POST", f"/shipments/{shipment['shipment_id']}/ship")
    assert levels(shop, sku) == (3, 0, {"wh-east": (3, 0)})
    assert shop.order(order_id)["status"] == "shipped"


def test_an_order_with_nothing_to_ship_is_delivered_on_confirmation_and_completes(full_shop: Stack) -> None:
    shop = full_shop
    store = open_store(shop, "real-digital", return_window_days=14)
    payload = shopify_order(9102, skus={})
    payload["line_items"] = [
        line(payload, 1, sku="EBOOK-1", variant_id=7101, name="E-book", requires_shipping=False),
        line(payload, 2, sku="", variant_id=7102, name="Gift card", gift_card=True, requires_shipping=False),
    ]
    send(shop, store, payload)
    order_id = f"{store}.9102"
    order = shop.order(order_id)
    assert path(order) == [(None, "placed"), ("placed", "confirmed"), ("confirmed", "delivered")]
    assert order["timeline"][-1]["reason"] == "nothing to ship"
    assert order["reservation"]["reserved"] == {}
    assert shipments_of(shop, order_id) == []
    delivered_at = datetime.fromisoformat(order["delivered_at"])
    shop.cloud.fire(COMPLETER, delivered_at + timedelta(days=13))
    assert shop.order(order_id)["status"] == "delivered"
    shop.cloud.fire(COMPLETER, delivered_at + timedelta(days=14, minutes=1))
    shop.cloud.drain()
    assert shop.order(order_id)["status"] == "completed"


def test_a_store_rule_by_sku_prefix_keeps_made_to_order_lines_out_of_stock(full_shop: Stack) -> None:
    shop = full_shop
    store = open_store(shop, "real-prefix", untracked_sku_prefixes=["MTO-"])
    stocked = shop.new_sku("STD", wh_east=4)
    send(shop, store, shopify_order(9103, skus={stocked: 1, "MTO-TABLE-OAK": 1}))
    order = shop.order(f"{store}.9103")
    assert order["status"] == "fulfilling"
    assert order["reservation"]["reserved"] == {stocked: 1}
    (shipment,) = shipments_of(shop, f"{store}.9103")
    assert sorted((ln["sku"], ln["holds_stock"]) for ln in shipment["lines"]) == sorted(
        [(stocked, True), ("MTO-TABLE-OAK", False)]
    )


# ---------------------------------------------------------------- lines without a SKU: the variant map


def test_a_line_without_sku_waits_for_staff_to_map_its_variant_then_a_retry_confirms_it(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-nosku")
    sku = shop.new_sku("HOODIE", wh_east=3)
    payload = shopify_order(9104, skus={})
    payload["line_items"] = [line(payload, 1, sku="", variant_id=7201, name="Hoodie - M", quantity=2)]
    send(shop, store, payload)
    order_id = f"{store}.9104"
    order = shop.order(order_id)
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "unknown_sku")
    assert order["hold"]["short_lines"][0]["variant_key"] == "v7201"
    unmapped = act(shop, "GET", f"/stores/{store}/variants?mapped=false")["variants"]
    assert [(v["variant_key"], v["name"], v["mapped"]) for v in unmapped] == [("v7201", "Hoodie - M", False)]

    act(shop, "PUT", f"/stores/{store}/variants/v7201", {"sku": sku})
    assert shop.order(order_id)["status"] == "on_hold"  # mapping alone changes no order
    act(shop, "POST", f"/orders/{order_id}/retry", expect=202)
    order = shop.order(order_id)
    assert order["status"] == "fulfilling"
    assert order["reservation"]["reserved"] == {sku: 2}
    assert [(ln["stock_sku"], ln["handling"]) for ln in order["lines"]] == [(sku, "stock")]
    assert levels(shop, sku) == (3, 2, {"wh-east": (3, 2)})
    assert act(shop, "GET", f"/stores/{store}/variants?mapped=false")["variants"] == []
    # The next order of that variant finds its SKU at once.
    payload = shopify_order(9105, skus={})
    payload["line_items"] = [line(payload, 1, sku="", variant_id=7201, name="Hoodie - M")]
    send(shop, store, payload)
    assert shop.order(f"{store}.9105")["reservation"]["reserved"] == {sku: 1}


def test_the_woocommerce_fixtures_line_without_sku_can_be_marked_as_holding_no_stock(
    full_shop: Stack, woo_secret: str
) -> None:
    shop = full_shop
    payload = fixture("woocommerce/order.json")
    payload["id"] = 9106
    store = str(WOO_STORE["store_id"])
    status, _ = shop.deliver(woocommerce_delivery(payload, store_id=store, secret=woo_secret))
    assert status == 202
    order_id = f"{store}.9106"
    assert shop.order(order_id)["hold"]["reason"] == "unknown_sku"
    before = levels(shop, "Bar3")
    act(shop, "PUT", f"/stores/{store}/variants/p93", {"stock_tracked": False})
    act(shop, "POST", f"/orders/{order_id}/retry", expect=202)
    order = shop.order(order_id)
    assert order["status"] == "fulfilling"
    assert order["reservation"]["reserved"] == {"Bar3": 1}
    assert levels(shop, "Bar3")[1] == before[1] + 1
    (shipment,) = shipments_of(shop, order_id)
    assert sorted((ln["line_id"], ln["holds_stock"]) for ln in shipment["lines"]) == [
        ("315", False),
        ("316", True),
    ]


def test_a_variant_mapping_that_names_no_sku_for_tracked_stock_is_refused(full_shop: Stack) -> None:
    shop = full_shop
    store = open_store(shop, "real-badmap")
    status, body = shop.api("PUT", f"/stores/{store}/variants/v1", {"stock_tracked": True})
    assert (status, body["code"]) == (422, "validation_error")
    status, body = shop.api("PUT", f"/stores/{store}/variants/x1", {"sku": "A"})
    assert (status, body["code"]) == (422, "validation_error")
    status, body = shop.api("PUT", "/stores/no-such-store/variants/v1", {"sku": "A"})
    assert (status, body["code"]) == (404, "unknown_store")


# ---------------------------------------------------------------- what the channel fulfilled itself


def test_a_point_of_sale_sale_fulfilled_at_the_counter_takes_its_stock_once_and_is_never_picked(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-pos")
    sku = shop.new_sku("POS", wh_east=4, wh_west=4)
    payload = shopify_order(9107, skus={sku: 2})
    payload["source_name"] = "pos"
    payload["fulfillment_status"] = "fulfilled"
    payload["fulfillments"] = [
        {
            "id": 55501,
            "status": "success",
            "created_at": payload["created_at"],
            "line_items": [{"id": payload["line_items"][0]["id"], "quantity": 2}],
            "tracking_number": None,
        }
    ]
    send(shop, store, payload)
    order_id = f"{store}.9107"
    order = shop.order(order_id)
    assert path(order) == [(None, "placed"), ("placed", "confirmed"), ("confirmed", "delivered")]
    (record,) = shipments_of(shop, order_id)
    assert (record["source"], record["status"], record["location"]) == ("channel", "delivered", "wh-east")
    assert levels(shop, sku) == (6, 0, {"wh-east": (2, 0), "wh-west": (4, 0)})
    picking = act(shop, "GET", "/shipments?location=wh-east")["shipments"]
    assert [s for s in picking if s["order_id"] == order_id] == []
    # The same delivery again takes nothing more.
    send(shop, store, payload, topic="orders/updated")
    assert levels(shop, sku) == (6, 0, {"wh-east": (2, 0), "wh-west": (4, 0)})
    assert len(shipments_of(shop, order_id)) == 1


def test_a_woocommerce_order_marked_completed_before_we_saw_it_is_recorded_shipped(
    full_shop: Stack, woo_secret: str
) -> None:
    shop = full_shop
    store = str(WOO_STORE["store_id"])
    sku = shop.new_sku("WOODONE", wh_west=5)
    payload = fixture("woocommerce/order.json")
    payload.update(id=9108, status="completed")
    payload["line_items"] = [payload["line_items"][1] | {"sku": sku, "quantity": 2}]
    status, _ = shop.deliver(woocommerce_delivery(payload, store_id=store, secret=woo_secret))
    assert status == 202
    order = shop.order(f"{store}.9108")
    assert order["status"] == "shipped"
    (record,) = shipments_of(shop, f"{store}.9108")
    assert (record["source"], record["status"]) == ("channel", "shipped")
    assert levels(shop, sku) == (3, 0, {"wh-west": (3, 0)})


# ---------------------------------------------------------------- the channel changes an allocated order


def woo_send(shop: Stack, woo_secret: str, payload: dict[str, Any], topic: str = "order.created") -> None:
    status, body = shop.deliver(
        woocommerce_delivery(payload, store_id=str(WOO_STORE["store_id"]), secret=woo_secret, topic=topic)
    )
    assert status == 202, body


def woo_order(n: int, lines: dict[str, int], modified: str = "2026-05-01T10:00:00") -> dict[str, Any]:
    payload = fixture("woocommerce/order.json")
    template = payload["line_items"][1]
    payload.update(id=n, number=str(n), status="processing", date_modified_gmt=modified)
    payload["line_items"] = [
        template | {"id": n * 10 + i, "sku": sku, "quantity": qty, "name": f"Item {sku}"}
        for i, (sku, qty) in enumerate(lines.items())
    ]
    return payload


def pick_queue(shop: Stack, location: str) -> list[str]:
    return [s["shipment_id"] for s in act(shop, "GET", f"/shipments?location={location}")["shipments"]]


def test_a_channel_refund_after_allocation_cancels_the_pending_shipment_voids_its_label_and_releases_it(
    full_shop: Stack, woo_secret: str
) -> None:
    shop = full_shop
    a, b = shop.new_sku("REFA", wh_west=5), shop.new_sku("REFB", wh_west=5)
    payload = woo_order(9201, {a: 2, b: 1})
    woo_send(shop, woo_secret, payload)
    order_id = f"{WOO_STORE['store_id']}.9201"
    (shipment,) = shipments_of(shop, order_id)
    sid = shipment["shipment_id"]
    act(shop, "POST", f"/shipments/{sid}/label", {}, expect=201)
    assert sid in pick_queue(shop, "wh-west")

    woo_send(
        shop,
        woo_secret,
        payload | {"status": "refunded", "date_modified_gmt": "2026-05-01T11:00:00"},
        "order.updated",
    )
    order = shop.order(order_id)
    assert order["status"] == "refunded"
    assert order["reservation"]["reserved"] == {}
    (after,) = shipments_of(shop, order_id)
    assert after["status"] == "cancelled"
    assert (after["label"], after["labels_to_void"], len(after["voided_labels"])) == (None, [], 1)
    assert sid not in pick_queue(shop, "wh-west")
    assert levels(shop, a) == (5, 0, {"wh-west": (5, 0)})
    assert levels(shop, b) == (5, 0, {"wh-west": (5, 0)})
    status, body = shop.api("POST", f"/shipments/{sid}/pack")
    assert (status, body["code"]) == (409, "shipment_cancelled")
    status, body = shop.api("POST", f"/shipments/{sid}/ship")
    assert (status, body["code"]) == (409, "shipment_cancelled")


def test_a_shopify_edit_that_removes_a_line_after_allocation_shrinks_the_shipment_and_its_pick_list(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-edit")
    keep, drop = shop.new_sku("KEEP", wh_east=5), shop.new_sku("DROP", wh_east=5)
    payload = shopify_order(9202, skus={keep: 1, drop: 3}, updated_at="2026-05-01T10:00:00Z")
    send(shop, store, payload)
    order_id = f"{store}.9202"
    (shipment,) = shipments_of(shop, order_id)
    act(shop, "POST", f"/shipments/{shipment['shipment_id']}/label", {}, expect=201)
    edited = copy.deepcopy(payload)
    edited["updated_at"] = "2026-05-01T11:00:00Z"
    edited["line_items"][1]["current_quantity"] = 0  # removed in Shopify's order editing
    send(shop, store, edited, topic="orders/updated")

    (after,) = shipments_of(shop, order_id)
    assert [(ln["sku"], ln["quantity"]) for ln in after["lines"]] == [(keep, 1)]
    assert after["status"] == "pending"
    assert after["label"] is None
    assert len(after["voided_labels"]) == 1  # the label bought for the old parcel
    picking = act(shop, "GET", f"/shipments/{after['shipment_id']}/pick-list")
    assert [(item["sku"], item["quantity"]) for item in picking["lines"]] == [(keep, 1)]
    assert levels(shop, drop) == (5, 0, {"wh-east": (5, 0)})
    assert levels(shop, keep) == (5, 1, {"wh-east": (5, 1)})
    assert shop.order(order_id)["reservation"]["reserved"] == {keep: 1}
    assert "ShipmentChanged" in [
        e["detail-type"] for e in shop.events.all() if e["detail"].get("order_id") == order_id
    ]


def test_an_edit_that_adds_quantity_after_allocation_reserves_and_allocates_only_the_extra(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-more")
    sku = shop.new_sku("MORE", wh_east=5)
    payload = shopify_order(9203, skus={sku: 1}, updated_at="2026-05-01T10:00:00Z")
    send(shop, store, payload)
    order_id = f"{store}.9203"
    edited = copy.deepcopy(payload)
    edited["updated_at"] = "2026-05-01T11:00:00Z"
    edited["line_items"][0]["quantity"] = 3
    edited["line_items"][0]["current_quantity"] = 3
    send(shop, store, edited, topic="orders/updated")
    carried = sorted(sum(ln["quantity"] for ln in s["lines"]) for s in shipments_of(shop, order_id))
    assert carried == [1, 2]
    assert levels(shop, sku) == (5, 3, {"wh-east": (5, 3)})


def test_a_fulfilment_made_in_shopify_after_allocation_replaces_our_pending_shipment_for_those_lines(
    full_shop: Stack,
) -> None:
    shop = full_shop
    store = open_store(shop, "real-chful")
    a, b = shop.new_sku("CHA", wh_east=5), shop.new_sku("CHB", wh_east=5)
    payload = shopify_order(9204, skus={a: 2, b: 1}, updated_at="2026-05-01T10:00:00Z")
    send(shop, store, payload)
    order_id = f"{store}.9204"
    (ours,) = shipments_of(shop, order_id)
    line_a = payload["line_items"][0]["id"]
    fulfillment = fixture("shopify/fulfillment.json") | {
        "id": 77001,
        "order_id": 9204,
        "status": "success",
        "tracking_number": "1Z2345",
        "tracking_numbers": ["1Z2345"],
        "tracking_company": "UPS",
        "line_items": [{"id": line_a, "quantity": 2}],
    }
    send(shop, store, fulfillment, topic="fulfillments/create")

    records = shipments_of(shop, order_id)
    mine = next(s for s in records if s["shipment_id"] == ours["shipment_id"])
    theirs = next(s for s in records if s["source"] == "channel")
    assert [(ln["sku"], ln["quantity"]) for ln in mine["lines"]] == [(b, 1)]
    assert [(ln["sku"], ln["quantity"]) for ln in theirs["lines"]] == [(a, 2)]
    assert (theirs["status"], theirs["label"]["tracking_number"], theirs["label"]["carrier"]) == (
        "shipped",
        "1Z2345",
        "UPS",
    )
    assert levels(shop, a) == (3, 0, {"wh-east": (3, 0)})  # taken once, where it was allocated
    assert shop.order(order_id)["status"] == "partially_shipped"

    # Shopify then sends the order with that fulfillment in it: nothing more happens.
    updated = copy.deepcopy(payload)
    updated["updated_at"] = "2026-05-01T12:00:00Z"
    updated["fulfillments"] = [fulfillment]
    send(shop, store, updated, topic="orders/updated")
    assert len(shipments_of(shop, order_id)) == 2
    assert levels(shop, a) == (3, 0, {"wh-east": (3, 0)})

    act(shop, "POST", f"/shipments/{mine['shipment_id']}/ship")
    assert levels(shop, b) == (4, 0, {"wh-east": (4, 0)})
    assert shop.order(order_id)["status"] == "shipped"


def test_a_refund_after_the_shipment_was_packed_holds_the_order_until_the_warehouse_unpacks_it(
    full_shop: Stack, woo_secret: str
) -> None:
    shop = full_shop
    sku = shop.new_sku("PACKED", wh_west=4)
    payload = woo_order(9205, {sku: 2})
    woo_send(shop, woo_secret, payload)
    order_id = f"{WOO_STORE['store_id']}.9205"
    (shipment,) = shipments_of(shop, order_id)
    sid = shipment["shipment_id"]
    act(shop, "POST", f"/shipments/{sid}/pack")
    woo_send(
        shop,
        woo_secret,
        payload | {"status": "refunded", "date_modified_gmt": "2026-05-01T11:00:00"},
        "order.updated",
    )

    order = shop.order(order_id)
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "manual")
    assert f"packed in {sid}" in order["hold"]["note"]
    assert shipments_of(shop, order_id)[0]["status"] == "packed"
    status, body = shop.api("POST", f"/shipments/{sid}/ship")
    assert (status, body["code"]) == (409, "order_not_shipping")
    assert levels(shop, sku) == (4, 2, {"wh-west": (4, 2)})  # the box still holds them

    act(shop, "POST", f"/shipments/{sid}/cancel", {"reason": "unpacked: refunded"})
    order = shop.order(order_id)
    assert order["status"] == "refunded"
    assert order["reservation"]["reserved"] == {}
    assert levels(shop, sku) == (4, 0, {"wh-west": (4, 0)})
