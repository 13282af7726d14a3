"""Staff edits made on Shopify's order too (a GraphQL order edit), against recorded exchanges: once,
whatever is retried, and Shopify's next view of the order taken as ours (nothing doubled)."""

from __future__ import annotations

import copy
from typing import Any

from oms_local.samples import fixture, shopify_delivery
from tests.integration.test_after_sale_api import SHOP, LostAnswer, shopify_store
from tests.integration.test_channel_push import SHOP_SECRET, channel_sync
from tests.replay import Replay
from tests.stack import EventCapture, Stack

EDIT = {
    "change": [{"line_id": "1071823212", "quantity": 3}],
    "add": [{"sku": "IPOD2008GREEN", "quantity": 1, "unit_price": "150.00"}],
    "note": "customer asked by phone",
}


def deliver(shop: Stack, payload: dict[str, Any], topic: str = "orders/create") -> None:
    delivery = shopify_delivery(
        payload,
        store_id="push-shop",
        secret=SHOP_SECRET,
        shop_domain="push-shop.myshopify.com",
        topic=topic,
    )
    assert shop.deliver(delivery)[0] == 202


def shopify_after_the_edit() -> dict[str, Any]:
    """orders/updated as Shopify sends it once the edit is committed: two new lines of its own ids."""
    payload = copy.deepcopy(fixture("shopify/orders-create-recent.json"))
    first = payload["line_items"][0]
    more = copy.deepcopy(first) | {"id": 1071823213, "quantity": 2, "current_quantity": 2}
    green = copy.deepcopy(first) | {
        "id": 1071823214,
        "sku": "IPOD2008GREEN",
        "variant_id": 808950810,
        "name": "IPod Nano - 8GB - green",
        "price": "199.00",
        "quantity": 1,
        "current_quantity": 1,
        "discount_allocations": [],
    }
    payload["line_items"] = [first, more, green]
    payload["updated_at"] = "2030-01-01T00:00:00-05:00"
    return payload


def reserved(shop: Stack) -> dict[str, int]:
    return {sku: shop.stock(sku)["reserved"] for sku in ("IPOD2009BLACK", "IPOD2008GREEN")}


def test_an_edit_is_made_on_shopify_as_one_order_edit_and_its_echo_doubles_nothing(full_shop: Stack) -> None:
    shop = full_shop
    shopify_store(shop)
    replay = Replay.of("shopify-order-edit")
    replay.fail_at = {1: 503}  # Shopify is down when the first attempt begins the edit
    replay.exchanges.insert(1, replay.exchanges[0])  # the retry reads the order again
    channel_sync(shop, replay)
    events = EventCapture(shop.cloud)
    deliver(shop, fixture("shopify/orders-create-recent.json"))
    before = reserved(shop)

    status, edited = shop.api("POST", f"/orders/{SHOP}/edits", EDIT)
    assert status == 200, edited
    assert (edited["edit"]["push"], edited["edit"]["pushed"]) == (
        "pending",
        "being made on Shopify as an order edit",
    )
    shop.cloud.drain()

    assert replay.done()
    mutations = [
        s["json"]["query"].split("(")[0].split()[-1] for s in replay.sent if "mutation" in s["json"]["query"]
    ]
    assert mutations.count("OrderEditCommit") == 1
    commit = next(s for s in replay.sent if "orderEditCommit" in s["json"]["query"])
    edit_id = edited["edit"]["edit_id"]
    assert commit["json"]["variables"]["staffNote"].endswith(f"customer asked by phone [oms {edit_id}]")
    order = shop.order(SHOP)
    (record,) = order["edits"]
    assert (record["push"], record["pushed"]) == ("pushed", "made on Shopify as an order edit")
    channel_ids = {ln["sku"]: ln["channel_line_id"] for ln in order["lines"] if ln["line_id"] != "1071823212"}
    assert channel_ids == {"IPOD2009BLACK": "1071823213", "IPOD2008GREEN": "1071823214"}
    edited_reserved = reserved(shop)
    assert edited_reserved == {
        "IPOD2009BLACK": before["IPOD2009BLACK"] + 2,
        "IPOD2008GREEN": before["IPOD2008GREEN"] + 1,
    }
    (pushed,) = events.of_type("OrderEditPushed", SHOP)
    assert (pushed["detail"]["edit_id"], pushed["detail"]["push"]) == (edit_id, "pushed")

    deliver(shop, shopify_after_the_edit(), "orders/updated")  # Shopify tells us of its new lines
    shop.cloud.drain()
    order = shop.order(SHOP)
    assert sorted((ln["sku"], ln["quantity"]) for ln in order["lines"]) == [
        ("IPOD2008GREEN", 1),
        ("IPOD2009BLACK", 1),
        ("IPOD2009BLACK", 2),
    ]
    assert {ln["line_id"] for ln in order["lines"]} == {"1071823212", *record["added"]}
    assert reserved(shop) == edited_reserved  # not reserved twice


def test_an_edit_whose_commit_answer_was_lost_is_found_on_shopify_and_not_made_twice(
    full_shop: Stack,
) -> None:
    shop = full_shop
    shopify_store(shop)
    replay = Replay.of("shopify-order-edit")
    # The retry reads the order (the last exchange), finds the edit there and begins nothing again.
    lossy = LostAnswer(replay, lose=6)  # orderEditCommit is made, its answer lost
    channel_sync(shop, lossy)  # type: ignore[arg-type]
    deliver(shop, fixture("shopify/orders-create-recent.json"))

    status, edited = shop.api("POST", f"/orders/{SHOP}/edits", EDIT)
    assert status == 200, edited
    shop.cloud.drain()

    assert replay.done()
    commits = [s for s in replay.sent if "orderEditCommit" in s["json"]["query"]]
    begins = [s for s in replay.sent if "orderEditBegin" in s["json"]["query"]]
    assert (len(commits), len(begins)) == (1, 1)
    (record,) = shop.order(SHOP)["edits"]
    assert record["push"] == "pushed"
    lines = {
        ln["sku"]: ln.get("channel_line_id")
        for ln in shop.order(SHOP)["lines"]
        if ln["line_id"] != "1071823212"
    }
    assert lines == {"IPOD2009BLACK": "1071823213", "IPOD2008GREEN": "1071823214"}


def test_an_edit_shopify_refuses_is_recorded_refused_with_its_words_and_nothing_is_committed(
    full_shop: Stack,
) -> None:
    shop = full_shop
    shopify_store(shop)
    replay = Replay.of("shopify-order-edit")
    refused = copy.deepcopy(replay.exchanges[3])  # adding the green variant
    refused["response"]["json"]["data"]["orderEditAddVariant"] = {
        "calculatedLineItem": None,
        "userErrors": [{"field": ["variantId"], "message": "Variant is out of stock"}],
    }
    replay.exchanges = [*replay.exchanges[:3], refused]
    channel_sync(shop, replay)
    deliver(shop, fixture("shopify/orders-create-recent.json"))
    before = reserved(shop)

    status, edited = shop.api("POST", f"/orders/{SHOP}/edits", EDIT)
    assert status == 200, edited
    shop.cloud.drain()

    assert replay.done()
    assert not [s for s in replay.sent if "orderEditCommit" in s["json"]["query"]]
    order = shop.order(SHOP)
    (record,) = order["edits"]
    assert record["push"] == "refused"
    assert "Variant is out of stock" in record["pushed"]
    assert any("Variant is out of stock" in entry["reason"] for entry in order["timeline"])
    # Ours stands: the edit was made here, the channel's copy is for staff to change by hand.
    assert reserved(shop)["IPOD2008GREEN"] == before["IPOD2008GREEN"] + 1


def test_a_store_that_does_not_push_edits_records_them_as_ours_only(full_shop: Stack) -> None:
    shop = full_shop
    shopify_store(shop)
    assert shop.api("PATCH", "/stores/push-shop", {"settings": {"push_edits_to_channel": False}})[0] == 200
    replay = Replay([])
    channel_sync(shop, replay)
    deliver(shop, fixture("shopify/orders-create-recent.json"))

    status, edited = shop.api("POST", f"/orders/{SHOP}/edits", EDIT)
    assert status == 200, edited
    shop.cloud.drain()

    assert replay.sent == []
    assert (edited["edit"]["push"], edited["edit"]["pushed"]) == (
        "oms_only",
        "recorded in the OMS only: the store does not want edits pushed to Shopify",
    )
