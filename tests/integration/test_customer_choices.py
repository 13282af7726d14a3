"""Backordered lines and the customer's choice, through the stack (moto): a store that ships what is
available, the customer's email with its signed link, the public page (HTML and JSON), each choice
carried out once through the staff operations, and the store's default at the timeout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from oms_local.cloud import LocalCloud
from oms_local.runner import LOCAL_PARAMETERS
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import seed
from tests.stack import Stack

SECRET = "choice-shop-webhook-secret"
LINK = re.compile(r"https?://\S+/choices/(\S+)")


@pytest.fixture(scope="module")
def choosing() -> Iterator[Stack]:
    """The seeded stack with customer emails on and a store that ships what is available and
    lets the customer choose (substitute: SUB-<sku> for SKUs starting with SUBBED-)."""
    with mock_aws():
        stack = Stack(LocalCloud(fast_retry=True, parameters=LOCAL_PARAMETERS))
        seed(stack.api)
        yield stack


def store(stack: Stack, store_id: str, **settings: Any) -> str:
    status, body = stack.api(
        "POST",
        "/stores",
        {
            "store_id": store_id,
            "channel": "shopify",
            "name": f"Choice shop {store_id}",
            "webhook_secret": SECRET,
            "shop_domain": f"{store_id}.myshopify.com",
            "settings": {"location_priority": ["wh-east"], "customer_choice": True, **settings},
        },
    )
    assert status == 201, body
    return store_id


def place(stack: Stack, store_id: str, n: int, skus: dict[str, int], **changes: Any) -> dict[str, Any]:
    payload = shopify_order(n, skus=skus) | changes
    delivery = shopify_delivery(
        payload,
        store_id=store_id,
        secret=SECRET,
        event_id=f"choice-{store_id}-{n}",
        shop_domain=f"{store_id}.myshopify.com",
    )
    status, body = stack.deliver(delivery)
    assert status == 202, body
    stack.cloud.drain()
    return stack.order(f"{store_id}.{n}")


def link_for(stack: Stack, number: str) -> str:
    (text,) = [
        m["body"] if isinstance(m.get("body"), str) else str(m)
        for m in stack.cloud.sent_emails()
        if number in m["subject"] and ("backordered" in m["subject"] or "waiting" in m["subject"])
    ]
    found = LINK.search(text)
    assert found, text
    return found.group(1).rstrip(".,)")


def page(stack: Stack, token: str, *, html: bool = False) -> tuple[int, dict[str, str], Any]:
    accept = "text/html" if html else "application/json"
    return stack.api.request("GET", f"/choices/{token}", headers={"accept": accept})


def choose(stack: Stack, token: str, choice: str) -> tuple[int, Any]:
    status, _, body = stack.api.request(
        "POST", f"/choices/{token}", {"choice": choice}, headers={"accept": "application/json"}
    )
    stack.cloud.drain()
    return status, body


def line_of(order: dict[str, Any], sku: str) -> str:
    return next(str(line["line_id"]) for line in order["lines"] if line["sku"] == sku)


def test_a_backordered_line_ships_the_rest_now_and_fills_and_ships_when_stock_arrives(
    choosing: Stack,
) -> None:
    shop = store(choosing, "bo-shop", backorders="ship_available", customer_choice=False)
    a, b = choosing.new_sku("BOA", wh_east=5), choosing.new_sku("BOB", wh_east=1)
    order = place(choosing, shop, 5101, {a: 1, b: 3})
    assert order["status"] == "fulfilling"
    assert order["hold"] is None
    assert order["backordered"] == {line_of(order, b): 2}
    assert order["reservation"]["reserved"] == {a: 1, b: 1}
    _, _, shipments = choosing.api.request("GET", f"/orders/{shop}.5101/shipments")
    assert [sorted((ln["sku"], ln["quantity"]) for ln in s["lines"]) for s in shipments["shipments"]] == [
        sorted([(a, 1), (b, 1)])
    ]
    (backordered,) = choosing.events.of_type("LinesBackordered", f"{shop}.5101")
    assert backordered["detail"]["lines"][0]["quantity"] == 2

    choosing.set_stock(b, wh_east=4)  # three more came in: the two it waits for are reserved
    choosing.cloud.drain()
    order = choosing.order(f"{shop}.5101")
    assert order["backordered"] == {}
    assert order["reservation"]["reserved"] == {a: 1, b: 3}
    assert choosing.events.of_type("BackorderFilled", f"{shop}.5101")
    _, _, shipments = choosing.api.request("GET", f"/orders/{shop}.5101/shipments")
    carried = sorted((ln["sku"], ln["quantity"]) for s in shipments["shipments"] for ln in s["lines"])
    assert carried == sorted([(a, 1), (b, 1), (b, 2)])  # the filled units got their own shipment
    level = choosing.stock(b)
    assert (level["on_hand"], level["reserved"], level["available"]) == (4, 3, 1)


def test_the_customer_ships_what_is_available_and_the_rest_is_cancelled_and_refunded_once(
    choosing: Stack,
) -> None:
    shop = store(choosing, "pick-shop", backorders="ship_available")
    a, b = choosing.new_sku("PKA", wh_east=5), choosing.new_sku("PKB", wh_east=1)
    order = place(choosing, shop, 5201, {a: 1, b: 3})
    assert order["choice"]["options"] == ["wait", "ship_available", "cancel"]
    token = link_for(choosing, "#5201")

    status, _, shown = page(choosing, token)
    assert status == 200, shown
    assert shown["order_number"] == "#5201"
    assert shown["waiting"] == [{"name": f"Item {b}", "quantity": 2}]
    assert "email" not in str(shown)
    assert "address" not in str(shown)

    status, body = choose(choosing, token, "ship_available")
    assert (status, body["chosen"]) == (200, "ship_available"), body
    order = choosing.order(f"{shop}.5201")
    assert order["backordered"] == {}
    assert order["cancelled_quantities"] == {line_of(order, b): 2}
    (refund,) = order["refunds"]
    assert refund["status"] == "manual"
    assert refund["lines"] == [{**refund["lines"][0], "line_id": line_of(order, b), "quantity": 2}]
    assert choosing.stock(b)["reserved"] == 1  # what it had stays reserved; nothing more
    (made,) = choosing.events.of_type("CustomerChoiceMade", f"{shop}.5201")
    assert made["detail"] | {"occurred_at": None} == {
        **made["detail"],
        "choice": "ship_available",
        "by": "customer",
        "occurred_at": None,
    }

    # The same choice again (a double click) changes nothing; another choice is refused.
    assert choose(choosing, token, "ship_available")[0] == 200
    status, body = choose(choosing, token, "cancel")
    assert (status, body["code"]) == (409, "choice_closed")
    assert len(choosing.order(f"{shop}.5201")["refunds"]) == 1


def test_an_order_held_whole_is_cancelled_with_a_full_refund_when_the_customer_asks(choosing: Stack) -> None:
    shop = store(choosing, "hold-shop")
    b = choosing.new_sku("HLB", wh_east=0)
    order = place(choosing, shop, 5301, {b: 2})
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "out_of_stock")
    assert order["choice"]["options"] == ["wait", "cancel"]  # nothing could ship now
    token = link_for(choosing, "#5301")
    status, body = choose(choosing, token, "ship_available")
    assert (status, body["code"]) == (422, "choice_not_offered")
    status, body = choose(choosing, token, "cancel")
    assert status == 200, body
    order = choosing.order(f"{shop}.5301")
    assert order["status"] == "cancelled"
    (refund,) = order["refunds"]
    assert refund["shipping"] == order["totals"]["shipping"]  # a full refund: the lines and shipping
    assert [(ln["line_id"], ln["quantity"]) for ln in refund["lines"]] == [(line_of(order, b), 2)]
    assert choosing.stock(b)["reserved"] == 0


def test_a_substitute_replaces_the_waiting_units_at_the_same_price(choosing: Stack) -> None:
    b = choosing.new_sku("SBB", wh_east=0)
    c = choosing.new_sku("SBC", wh_east=9)
    shop = store(choosing, "sub-shop", substitutes={b: [{"sku": c, "name": "Blue instead"}]})
    order = place(choosing, shop, 5401, {b: 2})
    assert "substitute" in order["choice"]["options"]
    token = link_for(choosing, "#5401")
    status, _, html = page(choosing, token, html=True)
    assert status == 200
    assert "Blue instead" in html
    assert 'value="substitute"' in html
    status, body = choose(choosing, token, "substitute")
    assert status == 200, body
    order = choosing.order(f"{shop}.5401")
    assert order["status"] in ("confirmed", "fulfilling")
    open_units = {
        ln["sku"]: ln["quantity"] if ln["current_quantity"] is None else ln["current_quantity"]
        for ln in order["lines"]
    }
    assert open_units == {b: 0, c: 2}
    new_line = next(ln for ln in order["lines"] if ln["sku"] == c)
    old_line = next(ln for ln in order["lines"] if ln["sku"] == b)
    assert new_line["unit_price"] == old_line["unit_price"]
    assert choosing.stock(c)["reserved"] == 2


def test_the_store_default_is_applied_once_when_the_customer_does_not_answer_in_time(choosing: Stack) -> None:
    shop = store(choosing, "late-shop", backorders="ship_available", default_choice="ship_available")
    a, b = choosing.new_sku("LTA", wh_east=5), choosing.new_sku("LTB", wh_east=0)
    order = place(choosing, shop, 5501, {a: 1, b: 1})
    due = datetime.fromisoformat(order["choice"]["due"])
    assert due - datetime.fromisoformat(order["choice"]["offered_at"]) == timedelta(hours=72)

    def tick(at: datetime) -> dict[str, Any]:
        event = {
            "version": "0",
            "id": f"tick-{at.isoformat()}",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": {},
        }
        result = choosing.cloud.invoker.invoke("ChoiceTimeoutFunction", event)
        assert result.ok, result.error
        choosing.cloud.drain()
        return dict(result.value)

    assert tick(due - timedelta(minutes=10))["applied"] == 0
    assert tick(due + timedelta(minutes=5))["applied"] == 1
    order = choosing.order(f"{shop}.5501")
    assert order["choice"]["chosen_by"] == "system:choice-timeout"
    assert order["cancelled_quantities"] == {line_of(order, b): 1}
    assert len(order["refunds"]) == 1
    assert tick(due + timedelta(minutes=15))["applied"] == 0  # chosen: no longer due


def test_a_link_that_is_not_genuine_gets_the_same_answer_as_one_that_never_existed(choosing: Stack) -> None:
    shop = store(choosing, "guess-shop")
    place(choosing, shop, 5601, {choosing.new_sku("GSB", wh_east=0): 1})
    token = link_for(choosing, "#5601")
    payload, mac = token.split(".")
    flipped = payload + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    other_order = payload[:-2] + "xx." + mac
    answers = [page(choosing, t) for t in (flipped, other_order, "nonsense", "a" * 500 + "." + "b" * 24)]
    assert {(status, body["code"]) for status, _, body in answers} == {(404, "choice_not_found")}
    status, headers, html = page(choosing, flipped, html=True)
    assert status == 404
    assert "not valid" in html
    assert headers["content-security-policy"].startswith("default-src 'none'")
    status, _, body = choosing.api.request(
        "POST",
        f"/choices/{token}",
        raw_body=b"choice=%3Cscript%3E",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert status == 422
    assert "<script>" not in body
    assert choosing.order(f"{shop}.5601")["choice"]["chosen"] is None


def test_the_page_escapes_what_the_channel_named_the_items(choosing: Stack) -> None:
    shop = store(choosing, "esc-shop")
    sku = choosing.new_sku("ESC", wh_east=0)
    payload = shopify_order(5701, skus={sku: 1})
    payload["line_items"][0]["name"] = '<img src=x onerror="alert(1)">'
    delivery = shopify_delivery(
        payload, store_id=shop, secret=SECRET, event_id="esc-5701", shop_domain=f"{shop}.myshopify.com"
    )
    assert choosing.deliver(delivery)[0] == 202
    choosing.cloud.drain()
    status, _, html = page(choosing, link_for(choosing, "#5701"), html=True)
    assert status == 200
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
