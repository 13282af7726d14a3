"""Shopify's GraphQL Admin API client (oms.integrations.shopify_graphql.ShopifyAdmin) and the
fulfilment push over it (oms.integrations.shopify_fulfilments): throttling read from the cost
extension, pacing, the per-store version, fulfillment orders read page by page."""

from __future__ import annotations

from typing import Any

import pytest

from oms.channel_push import plan_push, shopify_api
from oms.integrations.http_transport import HttpError
from oms.integrations.shopify_fulfilments import push_fulfilment
from oms.integrations.shopify_graphql import ChannelRefused, ShopifyAdmin, refill_seconds
from oms.models import StoreSettings
from oms.shipments import Label, Shipment, ShipmentLine
from tests.replay import Replay
from tests.unit.builders import NOW, STORE, shopify_payload, store
from tests.unit.test_after_sale import ORDER, Desk, line_id

URL = "https://unit-shop.myshopify.com/admin/api/2026-10/graphql.json"


def cost(requested: int, available: float, rate: float = 100.0, actual: int | None = None) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": rate,
            },
        }
    }


def answer(body: dict[str, Any], url: str = URL) -> dict[str, Any]:
    return {"request": {"method": "POST", "url": url}, "response": {"status": 200, "json": body}}


def api(replay: Replay, waits: list[float] | None = None, version: str = "2026-10") -> ShopifyAdmin:
    return ShopifyAdmin(
        replay,
        shop_domain="unit-shop.myshopify.com",
        access_token="t",
        api_version=version,
        sleep=(waits if waits is not None else []).append,
    )


def test_a_throttled_answer_is_retryable_after_the_time_the_bucket_needs_to_refill() -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": cost(requested=502, available=200.0, rate=100.0),
    }
    with pytest.raises(HttpError) as raised:
        api(Replay([answer(throttled)])).query("query { shop { id } }", {})
    assert (raised.value.status, raised.value.retryable, raised.value.retry_after) == (429, True, 4)


def test_other_graphql_errors_are_not_retried() -> None:
    broken = {"errors": [{"message": "Field 'nope' doesn't exist", "extensions": {"code": "undefinedField"}}]}
    with pytest.raises(HttpError) as raised:
        api(Replay([answer(broken)])).query("query { nope }", {})
    assert (raised.value.status, raised.value.retryable) == (400, False)


def test_a_call_that_leaves_the_bucket_low_makes_the_next_call_wait_for_the_refill() -> None:
    low = {"data": {"shop": {"id": "1"}}, "extensions": cost(requested=300, available=150.0, actual=250)}
    full = {"data": {"shop": {"id": "1"}}, "extensions": cost(requested=10, available=1990.0, actual=10)}
    waits: list[float] = []
    client = api(Replay([answer(low), answer(full), answer(full)]), waits)
    client.query("q", {})
    assert waits == []  # nothing waits until there is a next call
    client.query("q", {})
    assert waits == [1.0]  # (250 - 150) / 100 per second
    client.query("q", {})
    assert waits == [1.0]  # that answer left plenty: no more waiting


def test_a_long_refill_is_left_to_shopify_to_refuse_and_the_queue_to_wait_out() -> None:
    drained = {"data": {"shop": {"id": "1"}}, "extensions": cost(requested=1000, available=0.0, actual=1000)}
    full = {"data": {"shop": {"id": "1"}}, "extensions": cost(requested=10, available=1990.0)}
    waits: list[float] = []
    client = api(Replay([answer(drained), answer(full)]), waits)
    client.query("q", {})
    client.query("q", {})
    assert waits == []  # 10 s is longer than a function should sleep


def test_refill_time_is_whole_seconds_and_at_least_one() -> None:
    assert refill_seconds(cost(requested=50, available=49.5)["cost"]) == 1
    assert refill_seconds(cost(requested=50, available=500.0)["cost"]) == 1
    assert refill_seconds(cost(requested=1000, available=0.0, rate=50.0)["cost"]) == 20


def test_a_store_can_be_called_at_its_own_api_version() -> None:
    pinned = shopify_api(store(), {"access_token": "t"}, Replay([]))
    assert isinstance(pinned, ShopifyAdmin)
    assert pinned.url.endswith("/admin/api/2026-10/graphql.json")
    newer = store().model_copy(update={"settings": StoreSettings(shopify_api_version="2027-01")})
    chosen = shopify_api(newer, {"access_token": "t"}, Replay([]))
    assert isinstance(chosen, ShopifyAdmin)
    assert chosen.url.endswith("/admin/api/2027-01/graphql.json")
    assert shopify_api(store(), {}, Replay([])) == "no Shopify admin API token or shop domain for this store"


@pytest.mark.parametrize("version", ["2026-11", "26-10", "2026-10; drop", "latest"])
def test_an_api_version_that_shopify_does_not_release_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match="shopify_api_version"):
        StoreSettings(shopify_api_version=version)


def fo_line(fo_line_id: int, line_id: int, remaining: int) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/FulfillmentOrderLineItem/{fo_line_id}",
        "remainingQuantity": remaining,
        "lineItem": {"id": f"gid://shopify/LineItem/{line_id}"},
    }


def page(nodes: list[Any], after: str | None = None) -> dict[str, Any]:
    return {"nodes": nodes, "pageInfo": {"hasNextPage": after is not None, "endCursor": after}}


def fulfilment_exchange(variables: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": URL, "json": {"variables": variables}, "json_subset": True},
        "response": {"status": 200, "json": {"data": data}},
    }


def test_a_shipment_is_fulfilled_from_every_open_fulfillment_order_read_page_by_page() -> None:
    desk = Desk()
    desk.stock.count("A", wh_east=5)
    desk.stock.count("B", wh_east=5)
    desk.deliver(shopify_payload(lines={"A": 2, "B": 1}))
    order = desk.order
    a, b = line_id(desk, "A"), line_id(desk, "B")
    shipment = Shipment(
        shipment_id="s1",
        order_id=ORDER,
        store_id=STORE,
        channel="shopify",
        number="#1001",
        location="wh-east",
        lines=[
            ShipmentLine(line_id=a, sku="A", name="A", quantity=2),
            ShipmentLine(line_id=b, sku="B", name="B", quantity=1),
        ],
        label=Label(
            carrier="Sandbox Post",
            tracking_number="SP1",
            tracking_url="https://t.example/SP1",
            provider="sandbox",
        ),
        created_at=NOW,
        updated_at=NOW,
    )
    order_gid = "gid://shopify/Order/1001"
    closed = {
        "id": "gid://shopify/FulfillmentOrder/1",
        "status": "CLOSED",
        "lineItems": page([fo_line(9, int(a), 0)]),
    }
    first = {
        "id": "gid://shopify/FulfillmentOrder/2",
        "status": "OPEN",
        "lineItems": page([fo_line(11, int(a), 1)], after="l1"),
    }
    second = {
        "id": "gid://shopify/FulfillmentOrder/3",
        "status": "IN_PROGRESS",
        "lineItems": page([fo_line(21, int(a), 5)]),
    }
    tracking = {"number": "SP1", "url": "https://t.example/SP1", "company": "Sandbox Post"}
    created = {"fulfillmentCreate": {"fulfillment": {"id": "gid://shopify/Fulfillment/7"}, "userErrors": []}}
    replay = Replay(
        [
            fulfilment_exchange(
                {"id": order_gid, "after": None},
                {"order": {"fulfillmentOrders": page([closed, first], after="f1")}},
            ),
            fulfilment_exchange(
                {"id": first["id"], "after": "l1"},
                {"fulfillmentOrder": {"lineItems": page([fo_line(12, int(b), 1)])}},
            ),
            fulfilment_exchange(
                {"id": order_gid, "after": "f1"}, {"order": {"fulfillmentOrders": page([second])}}
            ),
            fulfilment_exchange(
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [
                            {
                                "fulfillmentOrderId": first["id"],
                                "fulfillmentOrderLineItems": [
                                    {"id": "gid://shopify/FulfillmentOrderLineItem/11", "quantity": 1},
                                    {"id": "gid://shopify/FulfillmentOrderLineItem/12", "quantity": 1},
                                ],
                            }
                        ],
                        "notifyCustomer": False,
                        "trackingInfo": tracking,
                    }
                },
                created,
            ),
            fulfilment_exchange(
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [
                            {
                                "fulfillmentOrderId": second["id"],
                                "fulfillmentOrderLineItems": [
                                    {"id": "gid://shopify/FulfillmentOrderLineItem/21", "quantity": 1}
                                ],
                            }
                        ],
                        "notifyCustomer": False,
                        "trackingInfo": tracking,
                    }
                },
                created,
            ),
        ]
    )
    assert push_fulfilment(api(replay), order=order, shipment=shipment)["status"] == "created"
    assert replay.done()

    # Repeated after a crash: Shopify shows nothing left to fulfil, nothing is created.
    done = {**first, "lineItems": page([fo_line(11, int(a), 0), fo_line(12, int(b), 0)])}
    again = Replay(
        [
            fulfilment_exchange(
                {"id": order_gid, "after": None}, {"order": {"fulfillmentOrders": page([done])}}
            )
        ]
    )
    assert push_fulfilment(api(again), order=order, shipment=shipment) == {"status": "already_fulfilled"}
    assert again.done()

    # A fulfillment Shopify refuses is a refusal, not a retry.
    refused = Replay(
        [
            fulfilment_exchange(
                {"id": order_gid, "after": None}, {"order": {"fulfillmentOrders": page([second])}}
            ),
            fulfilment_exchange(
                {},
                {
                    "fulfillmentCreate": {
                        "fulfillment": None,
                        "userErrors": [{"message": "Fulfillment order is on hold"}],
                    }
                },
            ),
        ]
    )
    with pytest.raises(ChannelRefused, match="on hold"):
        push_fulfilment(api(refused), order=order, shipment=shipment)
    assert not plan_push(store(), order, shipment, {}, refused).steps
