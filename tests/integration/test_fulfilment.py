"""Fulfilment on the whole stack (moto): allocation to locations, shipments, stock committed once on
shipping, partial shipments, the tracking poller through each sandbox scenario, completion."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from oms_local.samples import shopify_delivery, shopify_order
from tests.stack import Stack, redelivered

SECRET = "fulfilment-test-webhook-secret"
POLLER, COMPLETER = "TrackingPollerFunctionPoll", "OrderCompleterFunctionDaily"


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
            "settings": settings,
        },
    )
    assert status == 201, body
    return store_id


def place(shop: Stack, store_id: str, n: int, skus: dict[str, int], country: str = "US") -> str:
    payload = shopify_order(n, skus=skus)
    payload["shipping_address"]["country_code"] = country
    delivery = shopify_delivery(
        payload, store_id=store_id, secret=SECRET, shop_domain=f"{store_id}.myshopify.com"
    )
    assert shop.deliver(delivery)[0] == 202
    return f"{store_id}.{n}"


def shipments_of(shop: Stack, order_id: str) -> list[dict[str, Any]]:
    status, body = shop.api("GET", f"/orders/{order_id}/shipments")
    assert status == 200, body
    return list(body["shipments"])


def carried(shipment: dict[str, Any]) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in shipment["lines"]}


def levels(shop: Stack, sku: str) -> dict[str, tuple[int, int]]:
    """location -> (on_hand, reserved)"""
    return {loc["location"]: (loc["on_hand"], loc["reserved"]) for loc in shop.stock(sku)["locations"]}


def kinds(shop: Stack, order_id: str) -> list[str]:
    return [e["detail-type"] for e in shop.events.all() if e["detail"].get("order_id") == order_id]


def act(shop: Stack, method: str, path: str, body: Any = None, expect: int = 200) -> dict[str, Any]:
    status, answer = shop.api(method, path, body)
    assert status == expect, answer
    shop.cloud.drain()
    return dict(answer)


# ---------------------------------------------------------------- allocation


def test_one_location_that_has_everything_ships_the_whole_order(full_shop: Stack) -> None:
    shop = full_shop
    a, b = shop.new_sku("A", wh_east=5, wh_west=5), shop.new_sku("B", wh_east=5, wh_west=5)
    store = open_store(shop, "alloc-one", location_priority=["wh-west", "wh-east"])
    order_id = place(shop, store, 101, {a: 1, b: 2})
    (shipment,) = shipments_of(shop, order_id)
    assert (shipment["location"], carried(shipment), shipment["status"]) == (
        "wh-west",
        {a: 1, b: 2},
        "pending",
    )
    assert shop.order(order_id)["status"] == "fulfilling"
    # Allocation promises stock to the shipment; nothing leaves the shelf until it ships.
    assert levels(shop, b) == {"wh-east": (5, 0), "wh-west": (5, 2)}
    assert kinds(shop, order_id).count("ShipmentCreated") == 1


def test_lines_no_single_location_holds_are_split_across_as_few_locations_as_possible(
    full_shop: Stack,
) -> None:
    shop = full_shop
    a = shop.new_sku("A", wh_east=5)
    b = shop.new_sku("B", wh_west=5)
    c = shop.new_sku("C", wh_east=2, wh_west=1)
    store = open_store(shop, "alloc-split", location_priority=["wh-east", "wh-west"])
    order_id = place(shop, store, 102, {a: 1, b: 1, c: 3})
    by_location = {s["location"]: carried(s) for s in shipments_of(shop, order_id)}
    # Two locations are needed and enough; line C is split between them (2 + 1).
    assert by_location == {"wh-east": {a: 1, c: 2}, "wh-west": {b: 1, c: 1}}


def test_priority_then_the_customers_country_break_ties(full_shop: Stack) -> None:
    shop = full_shop
    sku = shop.new_sku("TIE", wh_east=5, wh_west=5)
    store = open_store(shop, "alloc-tie", location_priority=["wh-east"])
    order_id = place(shop, store, 103, {sku: 1})
    assert [s["location"] for s in shipments_of(shop, order_id)] == ["wh-east"]


def test_when_no_location_can_ship_the_order_waits_with_its_stock_reserved(full_shop: Stack) -> None:
    shop = full_shop
    sku = shop.new_sku("FAR", wh_east=5)  # wh-east ships to US and CA only
    store = open_store(shop, "alloc-none")
    order_id = place(shop, store, 104, {sku: 1}, country="JP")
    order = shop.order(order_id)
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "no_fulfilment_location")
    assert shop.stock(sku)["reserved"] == 1
    assert shipments_of(shop, order_id) == []
    status, body = shop.api("POST", f"/orders/{order_id}/allocate")
    assert (status, body["code"]) == (409, "no_fulfilment_location")
    # Stock arrives where it can ship from: staff allocate again and the order moves on.
    shop.set_stock(sku, wh_east=5, wh_west=1)
    created = act(shop, "POST", f"/orders/{order_id}/allocate", expect=201)
    assert [(s["location"], carried(s)) for s in created["shipments"]] == [("wh-west", {sku: 1})]
    assert shop.order(order_id)["status"] == "fulfilling"


# ---------------------------------------------------------------- shipping


def test_stock_is_committed_once_per_shipment_and_partial_shipping_is_tracked(full_shop: Stack) -> None:
    shop = full_shop
    a, b = shop.new_sku("SA", wh_east=5), shop.new_sku("SB", wh_west=5)
    store = open_store(shop, "ship-partial")
    order_id = place(shop, store, 201, {a: 2, b: 1})
    east, west = sorted(shipments_of(shop, order_id), key=lambda s: s["location"])

    act(shop, "POST", f"/shipments/{east['shipment_id']}/pack")
    act(shop, "POST", f"/shipments/{east['shipment_id']}/label", {"service": "express"}, expect=201)
    shipped = act(shop, "POST", f"/shipments/{east['shipment_id']}/ship")
    assert shipped["status"] == "shipped"
    assert shop.order(order_id)["status"] == "partially_shipped"
    assert levels(shop, a) == {"wh-east": (3, 0)}  # on hand and reserved both down by 2
    assert levels(shop, b) == {"wh-west": (5, 1)}  # the other shipment's stock untouched

    # Redelivery of everything that led here: the same ship call, the same OrderConfirmed event.
    before = kinds(shop, order_id)
    act(shop, "POST", f"/shipments/{east['shipment_id']}/ship")
    confirmed = shop.events.of_type("OrderConfirmed", order_id)
    result = shop.cloud.invoker.invoke("FulfilmentFunction", redelivered(confirmed[0]))
    assert result.ok
    assert result.value == {"batchItemFailures": []}
    shop.cloud.drain()
    assert levels(shop, a) == {"wh-east": (3, 0)}
    assert len(shipments_of(shop, order_id)) == 2
    assert kinds(shop, order_id) == before

    # Tracking entered by hand for the other parcel, then shipped: the order has shipped.
    act(
        shop,
        "POST",
        f"/shipments/{west['shipment_id']}/tracking",
        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
        expect=201,
    )
    act(shop, "POST", f"/shipments/{west['shipment_id']}/ship")
    assert shop.order(order_id)["status"] == "shipped"
    assert levels(shop, b) == {"wh-west": (4, 0)}
    shipped_events = shop.events.of_type("ShipmentShipped", order_id)
    assert sorted(e["detail"]["tracking_number"] for e in shipped_events)[0] == "1Z999AA10123456784"
    assert len(shipped_events) == 2
    order_shipped = shop.events.of_type("OrderShipped", order_id)
    assert len(order_shipped) == 1
    assert {t["tracking_number"] for t in order_shipped[0]["detail"]["tracking"]} >= {"1Z999AA10123456784"}


def test_a_shipment_cancelled_before_it_ships_keeps_the_stock_reserved(full_shop: Stack) -> None:
    shop = full_shop
    sku = shop.new_sku("CX", wh_east=5)
    store = open_store(shop, "ship-cancel")
    order_id = place(shop, store, 202, {sku: 1})
    (shipment,) = shipments_of(shop, order_id)
    sid = shipment["shipment_id"]
    act(shop, "POST", f"/shipments/{sid}/label", {}, expect=201)
    cancelled = act(shop, "POST", f"/shipments/{sid}/cancel", {"reason": "box damaged"})
    assert cancelled["status"] == "cancelled"
    # The location's promise to the shipment is released; the order's reservation is not.
    assert levels(shop, sku) == {"wh-east": (5, 0)}
    assert (shop.stock(sku)["on_hand"], shop.stock(sku)["reserved"]) == (5, 1)
    order = shop.order(order_id)
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "manual")
    status, body = shop.api("POST", f"/shipments/{sid}/ship")
    assert (status, body["code"]) == (409, "shipment_cancelled")
    # The order's lines are free to go into a new shipment.
    created = act(shop, "POST", f"/orders/{order_id}/allocate", expect=201)
    assert [carried(s) for s in created["shipments"]] == [{sku: 1}]


def test_a_label_for_a_shipment_already_shipped_is_refused_as_shipped_and_changes_nothing(
    full_shop: Stack,
) -> None:
    shop = full_shop
    sku = shop.new_sku("LS", wh_east=5)
    order_id = place(shop, open_store(shop, "ship-relabel"), 203, {sku: 1})
    (shipment,) = shipments_of(shop, order_id)
    sid = shipment["shipment_id"]
    act(shop, "POST", f"/shipments/{sid}/label", {}, expect=201)
    shipped = act(shop, "POST", f"/shipments/{sid}/ship")
    for attempt in range(2):
        status, body = shop.api("POST", f"/shipments/{sid}/label", {"service": "express"})
        assert (status, body["code"]) == (409, "shipment_already_shipped"), attempt
        assert "already shipped" in body["message"]
    shop.cloud.drain()
    status, after = shop.api("GET", f"/shipments/{sid}")
    assert status == 200
    assert after["label"] == shipped["label"]
    assert after.get("labels_to_void", []) == []
    assert levels(shop, sku) == {"wh-east": (4, 0)}


def keyed(shop: Stack, path: str, body: Any, key: str) -> tuple[int, Any]:
    status, _, answer = shop.api.request("POST", path, body, headers={"idempotency-key": key})
    return status, answer


def test_a_staff_request_sent_again_with_its_idempotency_key_gets_the_first_answer_and_runs_once(
    full_shop: Stack,
) -> None:
    shop = full_shop
    sku = shop.new_sku("IK", wh_east=5)
    order_id = place(shop, open_store(shop, "key-shop"), 204, {sku: 1})
    (shipment,) = shipments_of(shop, order_id)
    sid = shipment["shipment_id"]

    first = keyed(shop, f"/shipments/{sid}/label", {"service": "ground"}, "label-204")
    assert first[0] == 201
    again = keyed(shop, f"/shipments/{sid}/label", {"service": "ground"}, "label-204")
    assert again == first  # the first answer: the label it bought
    status, reused = keyed(shop, f"/shipments/{sid}/label", {"service": "express"}, "label-204")
    assert (status, reused["code"]) == (422, "idempotency_key_reused")

    # A refused request is not kept: once it can succeed, the same key runs it.
    status, refused = keyed(shop, f"/shipments/{sid}/delivered", None, "delivered-204")
    assert (status, refused["code"]) == (409, "not_on_the_way")
    shipped = keyed(shop, f"/shipments/{sid}/ship", None, "ship-204")
    assert (shipped[0], keyed(shop, f"/shipments/{sid}/ship", None, "ship-204")) == (200, shipped)
    assert keyed(shop, f"/shipments/{sid}/delivered", None, "delivered-204")[0] == 200
    shop.cloud.drain()
    assert levels(shop, sku) == {"wh-east": (4, 0)}  # shipped (committed) once
    assert kinds(shop, order_id).count("ShipmentShipped") == 1


# ---------------------------------------------------------------- tracking


def poll(shop: Stack, at: datetime) -> dict[str, int]:
    result = shop.cloud.fire(POLLER, at)
    assert result.ok, result.error
    shop.cloud.drain()
    return dict(result.value)


def alerts(shop: Stack) -> list[str]:
    return [
        str(n[2])
        for topic in shop.cloud.sns_messages()
        if "alert" in topic["name"].lower()
        for n in topic["sent_notifications"]
    ]


@pytest.mark.parametrize(
    ("scenario", "every", "runs", "shipment_status", "order_status", "problems"),
    [
        ("delivered:3", timedelta(hours=1), 12, "delivered", "delivered", []),
        ("exception", timedelta(hours=1), 24, "delivered", "delivered", ["failed_attempt"]),
        (
            "returned",
            timedelta(hours=1),
            24,
            "returned_to_sender",
            "shipped",
            ["exception", "returned_to_sender"],
        ),
        ("stalled", timedelta(hours=4), 48, "in_transit", "shipped", ["stalled"]),
    ],
)
def test_each_sandbox_scenario_through_the_scheduled_poller(
    full_shop: Stack,
    scenario: str,
    every: timedelta,
    runs: int,
    shipment_status: str,
    order_status: str,
    problems: list[str],
) -> None:
    shop = full_shop
    sku = shop.new_sku("TR", wh_east=5)
    store = open_store(shop, f"track-{scenario.split(':')[0]}", auto_fulfil=True, sandbox_scenario=scenario)
    order_id = place(shop, store, 301, {sku: 1})
    (shipment,) = shipments_of(shop, order_id)
    shipped_at = datetime.fromisoformat(shipment["shipped_at"])
    alerted = len(alerts(shop))

    for n in range(1, runs + 1):
        poll(shop, shipped_at + n * every)
        # A rerun of the same firing (EventBridge delivers at least once) changes nothing.
        if n == 3:
            snapshot = (shipments_of(shop, order_id), kinds(shop, order_id))
            poll(shop, shipped_at + n * every)
            assert (shipments_of(shop, order_id), kinds(shop, order_id)) == snapshot

    (shipment,) = shipments_of(shop, order_id)
    assert shipment["status"] == shipment_status
    assert shop.order(order_id)["status"] == order_status
    assert [p["kind"] for p in shipment["tracking"]["problems"]] == problems
    events = kinds(shop, order_id)
    # One event and one staff alert per problem, however many runs saw it.
    assert events.count("ShipmentException") == len(problems)
    assert len(alerts(shop)) - alerted == len(problems)
    assert events.count("ShipmentDelivered") == (shipment_status == "delivered")
    assert events.count("OrderDelivered") == (order_status == "delivered")
    scans = [(e["status"], e["at"]) for e in shipment["tracking"]["events"]]
    assert len(scans) == len(set(scans))  # every scan recorded once
    if shipment_status in ("delivered", "returned_to_sender"):
        assert shipment["tracking"]["next_check_at"] is None  # never asked again


def test_the_completer_closes_delivered_orders_once_their_return_window_has_passed(full_shop: Stack) -> None:
    shop = full_shop
    sku = shop.new_sku("DONE", wh_east=5)
    store = open_store(
        shop, "complete", auto_fulfil=True, sandbox_scenario="delivered:2", return_window_days=3
    )
    order_id = place(shop, store, 401, {sku: 1})
    shipped_at = datetime.fromisoformat(shipments_of(shop, order_id)[0]["shipped_at"])
    for n in range(1, 8):
        poll(shop, shipped_at + timedelta(hours=n))
    order = shop.order(order_id)
    assert order["status"] == "delivered"
    delivered_at = datetime.fromisoformat(order["delivered_at"])

    def complete(at: datetime) -> int:
        result = shop.cloud.fire(COMPLETER, at)
        assert result.ok, result.error
        shop.cloud.drain()
        return int(result.value["completed"])

    assert complete(delivered_at + timedelta(days=2)) == 0
    assert shop.order(order_id)["status"] == "delivered"
    assert complete(delivered_at + timedelta(days=3, minutes=1)) >= 1
    assert shop.order(order_id)["status"] == "completed"
    assert complete(delivered_at + timedelta(days=4)) == 0
    assert kinds(shop, order_id).count("OrderCompleted") == 1
