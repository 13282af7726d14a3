"""The customer returns page (public, no login): a guesser learns nothing (an unknown order and a
wrong email get the same answer), attempts are limited per order number and per IP address, the
answers show no personal data beyond what the customer typed, every value is escaped, and a
return's page opens only from its signed link."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.stack import Stack

STORE = "demo-woo"  # a 30-day return window
EMAIL = "grace@example.com"
PRIVATE = ("Grace", "Hopper", "7 Navy Yard", "+1 202 555 0199", EMAIL)


def delivered_manual_order(shop: Stack, reference: str, *, name: str = "Enamel mug") -> str:
    body = {
        "store_id": STORE,
        "reference": reference,
        "currency": "USD",
        "customer": {
            "email": EMAIL,
            "first_name": "Grace",
            "last_name": "Hopper",
            "phone": "+1 202 555 0199",
        },
        "shipping_address": {
            "name": "Grace Hopper",
            "line1": "7 Navy Yard",
            "city": "Arlington",
            "province_code": "VA",
            "postal_code": "22202",
            "country_code": "US",
            "phone": "+1 202 555 0199",
        },
        "lines": [{"sku": "IPOD2008GREEN", "name": name, "quantity": 2, "unit_price": "12.50"}],
    }
    status, answer = shop.api("POST", "/orders", body)
    assert status == 202, answer
    shop.cloud.drain()
    order_id = f"{STORE}.{reference}"
    _, shipments = shop.api("GET", f"/orders/{order_id}/shipments")
    for shipment in shipments["shipments"]:
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/delivered")[0] == 200
    shop.cloud.drain()
    return order_id


def post(shop: Stack, body: dict[str, Any], *, html: bool = False) -> tuple[int, dict[str, str], Any]:
    if html:
        form = urllib.parse.urlencode(body).encode()
        return shop.api.request(
            "POST",
            "/returns/start",
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
            raw_body=form,
        )
    return shop.api.request("POST", "/returns/start", body, headers={"accept": "application/json"})


@pytest.fixture
def page_shop(full_shop: Stack) -> Stack:
    return full_shop


def test_an_unknown_order_and_a_wrong_email_get_the_same_answer_in_json_and_html(page_shop: Stack) -> None:
    shop = page_shop
    delivered_manual_order(shop, "RP-1001")
    unknown = post(shop, {"order_number": "RP-9999", "email": EMAIL})
    wrong = post(shop, {"order_number": "RP-1001", "email": "someone@example.com"})
    wrong_postcode = post(shop, {"order_number": "RP-1001", "postcode": "99999"})
    assert unknown[0] == wrong[0] == wrong_postcode[0] == 404
    assert unknown[2] == wrong[2] == wrong_postcode[2]
    html_unknown = post(shop, {"order_number": "RP-9999", "email": EMAIL}, html=True)
    html_wrong = post(shop, {"order_number": "RP-1001", "email": "someone@example.com"}, html=True)
    assert (html_unknown[0], html_unknown[2]) == (html_wrong[0], html_wrong[2])
    right = post(shop, {"order_number": "#RP-1001", "email": "GRACE@example.com "})
    assert right[0] == 200
    by_postcode = post(shop, {"order_number": "RP-1001", "postcode": "22 202"})
    assert by_postcode[0] == 200
    assert by_postcode[2]["lines"][0]["returnable"] == 2


def test_the_answers_show_nothing_personal_beyond_what_was_typed(page_shop: Stack) -> None:
    shop = page_shop
    delivered_manual_order(shop, "RP-1002")
    _, _, found = post(shop, {"order_number": "RP-1002", "postcode": "22202"})
    text = json.dumps(found)
    assert all(value not in text for value in PRIVATE)
    _, _, page = post(shop, {"order_number": "RP-1002", "postcode": "22202"}, html=True)
    assert all(value not in page for value in PRIVATE)
    assert "Enamel mug" in page
    status, headers, started = post(
        shop,
        {
            "order_number": "RP-1002",
            "postcode": "22202",
            "lines": [{"line_id": "1", "quantity": 1, "reason": "size_or_fit"}],
        },
    )
    assert status == 201, started
    assert all(value not in json.dumps(started) for value in PRIVATE)
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["cache-control"] == "no-store"


def test_attempts_are_limited_per_order_number_even_with_the_right_email(page_shop: Stack) -> None:
    shop = page_shop
    delivered_manual_order(shop, "RP-1003")
    for n in range(10):
        assert post(shop, {"order_number": "RP-1003", "email": f"guess{n}@example.com"})[0] == 404
    status, headers, refused = post(shop, {"order_number": "RP-1003", "email": EMAIL})
    assert (status, refused["code"], headers["retry-after"]) == (429, "too_many_attempts", "900")
    # An order number nobody has is limited the same way (a limit does not say it exists).
    for _ in range(10):
        post(shop, {"order_number": "RP-0000", "email": EMAIL})
    assert post(shop, {"order_number": "RP-0000", "email": EMAIL})[0] == 429


def test_attempts_are_limited_per_ip_address_across_order_numbers(page_shop: Stack) -> None:
    shop = page_shop
    answers = [post(shop, {"order_number": f"RP-IP-{n}", "email": EMAIL})[0] for n in range(31)]
    assert answers[:30] == [404] * 30
    assert answers[30] == 429


def test_every_value_shown_is_escaped(page_shop: Stack) -> None:
    shop = page_shop
    evil = '<script>alert("x")</script>'
    delivered_manual_order(shop, "RP-1004", name=evil)
    _, _, page = post(shop, {"order_number": "RP-1004", "email": EMAIL}, html=True)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    _, _, echoed = post(shop, {"order_number": '"><img src=x onerror=alert(1)>', "email": EMAIL}, html=True)
    assert "<img" not in echoed
    status, headers, started = shop.api.request(
        "POST",
        "/returns/start",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
        raw_body=urllib.parse.urlencode(
            {
                "order_number": "RP-1004",
                "email": EMAIL,
                "line_0": "1",
                "qty_0": "1",
                "reason_0": "changed_mind",
            }
        ).encode(),
    )
    assert status == 303, started
    status, _, return_page = shop.api.request("GET", headers["location"], headers={"accept": "text/html"})
    assert status == 200
    assert "<script>" not in return_page
    assert "Print your return label" in return_page


def test_a_returns_page_opens_only_from_its_signed_link(page_shop: Stack) -> None:
    shop = page_shop
    delivered_manual_order(shop, "RP-1005")
    _, _, started = post(
        shop,
        {
            "order_number": "RP-1005",
            "email": EMAIL,
            "lines": [{"line_id": "1", "quantity": 1, "reason": "changed_mind"}],
        },
    )
    path = started["page_path"]
    assert shop.api.request("GET", path, headers={"accept": "application/json"})[0] == 200
    token = path.rsplit("/", 1)[1]
    payload, mac = token.split(".")
    forged = f"{payload}.{'A' * len(mac)}"
    guessed = shop.api.request("GET", f"/returns/page/{forged}", headers={"accept": "application/json"})
    nonsense = shop.api.request("GET", "/returns/page/abc", headers={"accept": "application/json"})
    assert guessed[0] == nonsense[0] == 404
    assert guessed[2] == nonsense[2]
