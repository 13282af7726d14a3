"""GET /orders?q= and POST /orders/{order_id}/tags on moto: orders found by number, customer email
(any case), SKU and tag through the search index the stream keeps, never a Scan; staff's tags kept
over the channel's later updates."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE
from tests.stack import Stack

SECRET_STORE = "demo-shopify"


def place(
    stack: Stack, n: int, skus: dict[str, int], *, email: str, tags: str = "", updated: str | None = None
) -> str:
    payload = shopify_order(n, skus=skus, updated_at=updated)
    payload["email"] = payload["contact_email"] = email
    payload["customer"]["email"] = email
    payload["tags"] = tags
    delivery = shopify_delivery(
        payload, store_id=SECRET_STORE, secret=stack_secret(), event_id=f"search-{n}-{updated}"
    )
    assert stack.deliver(delivery)[0] == 202
    return f"{SECRET_STORE}.{n}"


def stack_secret() -> str:
    return str(SHOPIFY_STORE["webhook_secret"])


def search(stack: Stack, q: str, **params: Any) -> tuple[int, Any]:
    status, _, answer = stack.api.request("GET", "/orders", query=urlencode({"q": q, **params}))
    return status, answer


def ids(answer: Any) -> list[str]:
    return [o["order_id"] for o in answer["orders"]]


def test_orders_are_found_by_number_email_sku_and_tag_newest_first(shop: Stack) -> None:
    first = place(shop, 63_001, {"IPOD2009BLACK": 1}, email="Ada.Lovelace@Example.com", tags="vip, gift")
    second = place(shop, 63_002, {"IPOD2009BLACK": 1, "IPOD2008GREEN": 1}, email="ada.lovelace@example.com")
    other = place(shop, 63_003, {"IPOD2008GREEN": 2}, email="grace@example.com", tags="Wholesale")

    assert ids(search(shop, "#63001")[1]) == [first]
    assert ids(search(shop, "63002")[1]) == [second]
    assert ids(search(shop, "number:63003")[1]) == [other]
    # the email exactly, in any case; never a prefix of it
    assert ids(search(shop, "ADA.LOVELACE@example.COM")[1]) == [second, first]
    assert search(shop, "ada.lovelace@example")[1]["orders"] == []
    assert ids(search(shop, "ipod2009black")[1]) == [second, first]
    assert ids(search(shop, "sku:IPOD2008GREEN")[1]) == [other, second]
    assert ids(search(shop, "wholesale")[1]) == [other]
    assert ids(search(shop, "tag:VIP")[1]) == [first]
    assert search(shop, "tag:IPOD2009BLACK")[1]["orders"] == []  # the kind named is the kind matched
    # a summary, as the listing gives it, and the listing's filters narrow it
    status, answer = search(shop, "IPOD2009BLACK", status="confirmed", store=SECRET_STORE)
    assert status == 200
    assert {o["status"] for o in answer["orders"]} == {"confirmed"}
    assert set(answer["orders"][0]) >= {"order_id", "number", "status", "totals", "placed_at"}
    assert "email" not in answer["orders"][0]


def test_search_pages_through_many_orders_with_a_cursor(shop: Stack) -> None:
    placed = [
        place(shop, 63_100 + i, {"IPOD2009BLACK": 1}, email=f"p{i}@example.com", tags="batch-7")
        for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    cursors = []
    for _ in range(5):
        status, answer = search(shop, "batch-7", limit=2, **({"cursor": cursor} if cursor else {}))
        assert status == 200, answer
        seen += ids(answer)
        cursor = answer["cursor"]
        cursors.append(cursor)
        if not cursor:
            break
    assert seen == sorted(placed, reverse=True)  # placed in the same second: by id
    assert len(cursors) == 3
    assert cursors[-1] is None
    status, answer = search(shop, "other-tag", cursor=cursors[0])
    assert (status, answer["code"]) == (400, "invalid_cursor")


def test_tags_added_by_staff_are_searchable_and_survive_the_channels_update(shop: Stack) -> None:
    order_id = place(shop, 63_201, {"IPOD2009BLACK": 1}, email="t@example.com", tags="gift")
    status, _, done = shop.api.request(
        "POST", f"/orders/{order_id}/tags", {"add": ["Priority"], "remove": ["GIFT"]}
    )
    assert status == 200, done
    assert (done["tags"], done["changed"]) == (["Priority"], True)
    status, _, again = shop.api.request("POST", f"/orders/{order_id}/tags", {"add": ["priority"]})
    assert (status, again["changed"], again["version"]) == (200, False, done["version"])
    shop.cloud.drain()
    assert ids(search(shop, "priority")[1]) == [order_id]
    assert search(shop, "tag:gift")[1]["orders"] == []
    assert [e["detail"]["added"] for e in shop.events.of_type("OrderTagsChanged", order_id)] == [["Priority"]]

    # the channel sends the order again with its own tags: staff's change stays
    place(
        shop,
        63_201,
        {"IPOD2009BLACK": 1},
        email="t@example.com",
        tags="gift, rush",
        updated="2026-12-02T10:00:00Z",
    )
    assert shop.order(order_id)["tags"] == ["rush", "Priority"]
    assert ids(search(shop, "rush")[1]) == [order_id]
    assert search(shop, "gift")[1]["orders"] == []


def test_bad_searches_and_tags_are_refused_with_the_field_named(shop: Stack) -> None:
    order_id = place(shop, 63_301, {"IPOD2009BLACK": 1}, email="b@example.com")
    status, answer = search(shop, "   ")
    assert (status, answer["code"]) == (422, "invalid_query")
    status, answer = search(shop, "email:nobody")
    assert (status, answer["code"]) == (422, "invalid_query")
    status, _, answer = shop.api.request("POST", f"/orders/{order_id}/tags", {"add": ["a"], "remove": ["A"]})
    assert (status, answer["code"]) == (422, "conflicting_tags")
    status, _, answer = shop.api.request("POST", f"/orders/{order_id}/tags", {"add": ["a,b"]})
    assert status == 422
    status, _, answer = shop.api.request("POST", "/orders/demo-shopify.1/tags", {"add": ["a"]})
    assert (status, answer["code"]) == (404, "order_not_found")
