"""Returns, exchanges and claims through the admin API on the local stack (moto): the store's policy
checked, labels from the sandbox carrier, stock restocked exactly once, refunds as the policy
says, replacements reserved all or nothing."""

from __future__ import annotations

from typing import Any

from oms_local.samples import fixture, shopify_delivery
from tests.integration.test_channel_push import SHOP_SECRET, register
from tests.stack import Stack

STORE = "ret-shop"
SEND = {"store_id": STORE, "secret": SHOP_SECRET, "shop_domain": "ret-shop.myshopify.com"}


def returns_store(shop: Stack, **policy: Any) -> None:
    register(
        shop,
        {
            "store_id": STORE,
            "channel": "shopify",
            "name": "Returns shop",
            "webhook_secret": SHOP_SECRET,
            "shop_domain": "ret-shop.myshopify.com",
            "settings": {
                "location_priority": ["wh-east"],
                "return_window_days": 30,
                "returns": {"return_location": "wh-east", **policy},
            },
        },
    )


def delivered_order(shop: Stack, number: int = 450789469, **changes: Any) -> str:
    """A paid Shopify order of three iPods (199.00 each), shipped and delivered."""
    placed = fixture("shopify/orders-create.json") | {"financial_status": "paid", "id": number, **changes}
    assert shop.deliver(shopify_delivery(placed, event_id=f"placed-{number}", **SEND))[0] == 202
    order_id = f"{STORE}.{number}"
    _, shipments = shop.api("GET", f"/orders/{order_id}/shipments")
    for shipment in shipments["shipments"]:
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/delivered")[0] == 200
    shop.cloud.drain()
    assert shop.order(order_id)["status"] == "delivered"
    return order_id


def lines(order_id: str, shop: Stack) -> dict[str, str]:
    return {str(x["sku"]): str(x["line_id"]) for x in shop.order(order_id)["lines"]}


def test_a_staff_return_is_approved_with_a_label_received_per_line_and_refunded_on_receipt_by_the_policy(
    full_shop: Stack,
) -> None:
    shop = full_shop
    returns_store(
        shop,
        reasons=[
            {"code": "size_or_fit", "label": "Size", "restocking_fee_percent": "10"},
            {"code": "damaged", "label": "Damaged"},
        ],
    )
    order_id = delivered_order(shop)
    ids = lines(order_id, shop)
    green_before = shop.stock("IPOD2008GREEN")
    red_before = shop.stock("IPOD2008RED")

    status, ret = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {
            "lines": [
                {"line_id": ids["IPOD2008GREEN"], "quantity": 1, "reason": "size_or_fit"},
                {"line_id": ids["IPOD2008RED"], "quantity": 1, "reason": "damaged", "note": "cracked"},
            ]
        },
    )
    assert (status, ret["status"], ret["return_id"]) == (201, "requested", f"{order_id}-R1")
    return_id = ret["return_id"]

    status, approved = shop.api("POST", f"/returns/{return_id}/approve", {"label": "carrier"})
    assert (status, approved["status"]) == (200, "approved")
    assert approved["label"]["tracking_number"].startswith("SBX")
    assert approved["label"]["provider"] == "sandbox"

    status, received = shop.api(
        "POST",
        f"/returns/{return_id}/receive",
        {
            "lines": [
                {"line_id": ids["IPOD2008GREEN"], "quantity": 1, "disposition": "restock"},
                {"line_id": ids["IPOD2008RED"], "quantity": 1, "disposition": "damaged"},
            ]
        },
    )
    shop.cloud.drain()
    assert status == 200, received
    # Refund on receipt (the default): 2 x 199.00 paid, less 10 % of the green one for its reason.
    assert (received["status"], received["refunded"], received["fee"]) == (
        "closed",
        {"amount": "378.10", "currency": "USD"},
        {"amount": "19.90", "currency": "USD"},
    )
    assert shop.stock("IPOD2008GREEN")["on_hand"] == green_before["on_hand"] + 1  # restocked once
    assert shop.stock("IPOD2008RED")["on_hand"] == red_before["on_hand"]  # written off
    order = shop.order(order_id)
    (refund,) = order["refunds"]
    assert (refund["refund_id"], refund["total"]["amount"], refund["deducted"]["amount"]) == (
        f"{return_id}-refund",
        "378.10",
        "19.90",
    )
    assert order["returned"] == {ids["IPOD2008GREEN"]: 1, ids["IPOD2008RED"]: 1}
    assert order["status"] == "partially_refunded"  # one unit is still with the customer
    timeline = [e["to_status"] for e in received["timeline"]]
    assert timeline == ["requested", "approved", "received", "refunded", "closed"]
    assert any("damaged, written off" in (e.get("reason") or "") for e in received["timeline"])
    kinds = [e["detail-type"] for e in shop.events.all() if e["source"] == "oms.returns"]
    assert kinds == ["ReturnRequested", "ReturnApproved", "ReturnReceived", "ReturnRefunded", "ReturnClosed"]

    # Asked again: nothing moves twice.
    again = shop.api(
        "POST",
        f"/returns/{return_id}/receive",
        {"lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1, "disposition": "restock"}]},
    )
    assert again[0] == 409
    assert shop.api("POST", f"/returns/{return_id}/refund")[1]["refunded"]["amount"] == "378.10"
    assert shop.stock("IPOD2008GREEN")["on_hand"] == green_before["on_hand"] + 1
    assert len(shop.order(order_id)["refunds"]) == 1


def test_the_policy_refuses_with_stable_codes_and_staff_may_override_the_window_but_never_the_quantity(
    full_shop: Stack,
) -> None:
    shop = full_shop
    returns_store(shop, final_sale_sku_prefixes=["IPOD2008RED"])
    order_id = delivered_order(shop)
    ids = lines(order_id, shop)

    def ask(line: str, quantity: int = 1, **extra: Any) -> tuple[int, Any]:
        body = {"lines": [{"line_id": ids[line], "quantity": quantity, "reason": "changed_mind"}], **extra}
        return shop.api("POST", f"/orders/{order_id}/returns", body)

    assert ask("IPOD2008RED")[1]["code"] == "final_sale"
    assert ask("IPOD2008GREEN", 2)[1]["code"] == "quantity_exceeds_shipped"
    assert ask("IPOD2008GREEN", reason_code="x")[0] == 422
    status, bad = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {"lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1, "reason": "not_a_reason"}]},
    )
    assert (status, bad["code"]) == (422, "unknown_reason")
    status, overridden = ask("IPOD2008RED", override="sold as final sale by mistake")
    assert (status, overridden["override"]) == (201, "sold as final sale by mistake")
    assert "policy overridden" in overridden["timeline"][0]["reason"]
    assert ask("IPOD2008RED", override="again")[1]["code"] == "quantity_exceeds_shipped"  # never overridden

    # Declining gives the units back to the line.
    rid = overridden["return_id"]
    status, declined = shop.api("POST", f"/returns/{rid}/decline", {"reason": "not ours"})
    assert (status, declined["status"], declined["declined_reason"]) == (200, "declined", "not ours")
    assert shop.order(order_id)["returned"][ids["IPOD2008RED"]] == 0
    assert ask("IPOD2008RED", override="second look")[0] == 201
    assert shop.api("POST", f"/returns/{rid}/approve", {"label": "none"})[1]["code"] == (
        "illegal_return_transition"
    )


def test_a_return_window_counted_from_delivery_closes_and_the_answer_says_when(full_shop: Stack) -> None:
    shop = full_shop
    returns_store(shop)
    order_id = delivered_order(shop)
    shop.api("PATCH", f"/stores/{STORE}", {"settings": {"return_window_days": 0}})
    status, refused = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {
            "lines": [
                {"line_id": lines(order_id, shop)["IPOD2008GREEN"], "quantity": 1, "reason": "changed_mind"}
            ]
        },
    )
    assert (status, refused["code"]) == (409, "return_window_closed")
    status, view = shop.api("GET", f"/orders/{order_id}/returns")
    assert status == 200
    assert [x["returnable"] for x in view["lines"]] == [0, 0, 0]
    assert [x["shipped"] for x in view["lines"]] == [1, 1, 1]


def test_an_exchange_reserves_its_replacement_or_when_short_is_refunded_instead(full_shop: Stack) -> None:
    shop = full_shop
    returns_store(shop, exchange_ships_on="approval")
    order_id = delivered_order(shop)
    ids = lines(order_id, shop)
    swap = shop.new_sku("IPOD-L", wh_east=3)
    short = shop.new_sku("IPOD-XL", wh_east=0)

    status, ret = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {
            "lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1, "reason": "size_or_fit"}],
            "exchange": [{"sku": swap, "quantity": 1}],
        },
    )
    assert status == 201, ret
    approved = shop.api("POST", f"/returns/{ret['return_id']}/approve", {"label": "none"})[1]
    shop.cloud.drain()
    replacement = shop.order(approved["replacement_order_id"])
    assert (replacement["channel"], replacement["number"], replacement["replaces"]) == (
        "manual",
        f"{shop.order(order_id)['number']}-R1",
        ret["return_id"],
    )
    assert replacement["totals"]["total"]["amount"] == "0.00"  # a like-for-like swap
    assert shop.stock(swap)["available"] == 2  # reserved for the replacement
    assert replacement["status"] == "fulfilling"  # ships on approval: allocated at once

    status, ret2 = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {
            "lines": [{"line_id": ids["IPOD2008RED"], "quantity": 1, "reason": "size_or_fit"}],
            "exchange": [{"sku": short, "quantity": 1}],
        },
    )
    approved2 = shop.api("POST", f"/returns/{ret2['return_id']}/approve", {"label": "none"})[1]
    assert (approved2["replacement_order_id"], approved2["exchange_short"]) == (None, [short])
    assert "refunded instead" in approved2["timeline"][-1]["reason"]
    assert shop.stock(short)["reserved"] == 0


def test_a_claim_reships_free_with_stock_reserved_or_refunds_and_never_claims_more_than_shipped(
    full_shop: Stack,
) -> None:
    shop = full_shop
    returns_store(shop)
    order_id = delivered_order(shop)
    ids = lines(order_id, shop)
    before = shop.stock("IPOD2008GREEN")["reserved"]

    status, done = shop.api(
        "POST",
        f"/orders/{order_id}/claims",
        {
            "lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1}],
            "type": "damaged_in_transit",
            "resolution": "reship",
            "evidence_urls": ["https://photos.example.com/broken.jpg"],
        },
    )
    assert status == 201, done
    claim = done["claim"]
    assert claim["claim_id"] == f"{order_id}-C1"
    shop.cloud.drain()
    replacement = shop.order(claim["replacement_order_id"])
    assert (replacement["totals"]["total"]["amount"], replacement["replaces"]) == ("0.00", claim["claim_id"])
    assert shop.stock("IPOD2008GREEN")["reserved"] == before + 1

    status, again = shop.api(
        "POST",
        f"/orders/{order_id}/claims",
        {
            "lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1}],
            "type": "missing_item",
            "resolution": "refund",
        },
    )
    assert (status, again["code"]) == (409, "quantity_exceeds_shipped")
    status, refunded = shop.api(
        "POST",
        f"/orders/{order_id}/claims",
        {
            "lines": [{"line_id": ids["IPOD2008RED"], "quantity": 1}],
            "type": "wrong_item",
            "resolution": "refund",
        },
    )
    assert status == 201, refunded
    order = shop.order(order_id)
    assert [c["type"] for c in order["claims"]] == ["damaged_in_transit", "wrong_item"]
    assert order["refunds"][0]["refund_id"] == f"{order_id}-C2-refund"
    shop.cloud.drain()
    assert len(shop.events.of_type("ClaimOpened", order_id)) == 2


def test_the_poller_tracks_a_return_parcel_to_in_transit_refunding_at_first_scan_then_arrived(
    full_shop: Stack,
) -> None:
    from datetime import datetime, timedelta

    from tests.integration.test_tracking_poller import poll

    shop = full_shop
    returns_store(shop, refund_on="first_scan")
    order_id = delivered_order(shop)
    ids = lines(order_id, shop)
    _, ret = shop.api(
        "POST",
        f"/orders/{order_id}/returns",
        {"lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1, "reason": "wrong_item"}]},
    )
    approved = shop.api("POST", f"/returns/{ret['return_id']}/approve", {"label": "carrier"})[1]
    assert approved["refund_id"] is None
    service = shop.cloud.invoker.load("TrackingPollerFunction").service
    at = datetime.fromisoformat(approved["tracking"]["next_check_at"])

    first = poll(service, at)
    shop.cloud.drain()
    assert first.checked >= 1
    moving = shop.api("GET", f"/returns/{ret['return_id']}")[1]
    assert moving["status"] == "in_transit"
    assert moving["refunded"] == {"amount": "199.00", "currency": "USD"}  # wrong_item: nothing kept
    assert [r["refund_id"] for r in shop.order(order_id)["refunds"]] == [f"{ret['return_id']}-refund"]

    for hours in (7, 14, 21):
        poll(service, at + timedelta(hours=hours))
    arrived = shop.api("GET", f"/returns/{ret['return_id']}")[1]
    assert arrived["arrived_at"] is not None
    assert arrived["status"] == "in_transit"  # the warehouse still counts it in
    assert arrived["tracking"]["next_check_at"] is None  # not asked again
    shop.cloud.drain()
    kinds = [e["detail-type"] for e in shop.events.all() if e["source"] == "oms.returns"]
    assert kinds.count("ReturnInTransit") == 1
    assert kinds.count("ReturnArrived") == 1

    done = shop.api(
        "POST",
        f"/returns/{ret['return_id']}/receive",
        {"lines": [{"line_id": ids["IPOD2008GREEN"], "quantity": 1, "disposition": "restock"}]},
    )[1]
    assert done["status"] == "closed"  # refunded before: closed once counted, no second refund
    assert len(shop.order(order_id)["refunds"]) == 1
