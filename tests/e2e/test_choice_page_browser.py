"""The customer's choice page as a customer uses it: the link from their email opened in Chromium
(Debian's, driven by Playwright) on the local stack, read, checked for accessibility (axe-core),
a choice made with the form; screenshots are kept in test-output/screenshots/."""

from __future__ import annotations

import http.client
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import shopify_delivery, shopify_order
from tests.e2e.pages import SHOTS, accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SECRET = "browser-choice-webhook-secret"
LINK = re.compile(r"(https?://\S+/choices/[A-Za-z0-9_.-]+)")
TIMES = "\N{MULTIPLICATION SIGN}"  # how the page writes "2 of"


def deliver(local: Running, payload: dict[str, Any], store_id: str) -> None:
    delivery = shopify_delivery(
        payload, store_id=store_id, secret=SECRET, shop_domain=f"{store_id}.myshopify.com"
    )
    url = urlsplit(local.api_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request("POST", delivery.path, body=delivery.body, headers=delivery.headers)
        assert conn.getresponse().status == 202
    finally:
        conn.close()


def test_a_customer_opens_the_emailed_link_and_ships_what_is_available(local: Running, browser: Any) -> None:
    store_id = f"browser-{uuid.uuid4().hex[:6]}"
    status, body = local.request(
        "POST",
        "/stores",
        {
            "store_id": store_id,
            "channel": "shopify",
            "name": "Corner <Shop> & Co",
            "webhook_secret": SECRET,
            "shop_domain": f"{store_id}.myshopify.com",
            "settings": {
                "location_priority": ["wh-east"],
                "backorders": "ship_available",
                "customer_choice": True,
            },
        },
    )
    assert status == 201, body
    tee, mug = (f"{name}-{uuid.uuid4().hex[:6].upper()}" for name in ("TEE", "MUG"))
    for sku, units in ((tee, 3), (mug, 1)):
        stock = {"locations": [{"location": "wh-east", "on_hand": units}]}
        assert local.request("PUT", f"/stock/{sku}", stock)[0] == 200
    payload = shopify_order(7001, skus={tee: 1, mug: 3})
    payload["line_items"][1]["name"] = "Mug <large>"
    deliver(local, payload, store_id)
    order_id = f"{store_id}.7001"

    def emailed() -> str | None:
        for mail in local.cloud.sent_emails():
            if "#7001" in mail["subject"] and "backordered" in mail["subject"]:
                found = LINK.search(json.dumps(mail))
                return found.group(1) if found else None
        return None

    assert wait_for(lambda: emailed() is not None, timeout=60), "no email with the choice link"
    link = str(emailed())
    assert link.startswith(local.api_url)

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.goto(link)
    assert page.title() == "Your order #7001"
    assert page.get_by_role("heading", name="Corner <Shop> & Co: order #7001").is_visible()
    waiting = page.get_by_role("heading", name="Waiting for stock").locator("xpath=following-sibling::ul[1]")
    assert waiting.inner_text() == f"2 {TIMES} Mug <large>"
    ready = page.get_by_role("heading", name="Ready to ship").locator("xpath=following-sibling::ul[1]")
    assert sorted(ready.inner_text().splitlines()) == sorted(
        [f"1 {TIMES} Item {tee}", f"1 {TIMES} Mug <large>"]
    )
    assert page.get_by_label("Wait: we ship everything as soon as it is back in stock").is_checked()
    page.screenshot(path=str(SHOTS / "choice-offered.png"), full_page=True)
    assert accessibility_violations(page) == []

    page.get_by_label("Ship what is in stock now and refund the rest").check()
    page.get_by_role("button", name="Confirm my choice").click()
    page.wait_for_load_state()
    assert page.url == link  # the form posted, then came back to the page (a reload posts nothing)
    assert page.get_by_text(
        "You chose: Ship what is in stock now and refund the rest. Thank you."
    ).is_visible()
    assert page.locator("form").count() == 0
    page.screenshot(path=str(SHOTS / "choice-made.png"), full_page=True)
    assert accessibility_violations(page) == []
    page.close()

    order = local.request("GET", f"/orders/{order_id}")[1]
    mug_line = next(line["line_id"] for line in order["lines"] if line["sku"] == mug)
    assert order["choice"]["chosen"] == "ship_available"
    assert order["choice"]["chosen_by"] == "customer"
    assert order["backordered"] == {}
    assert order["cancelled_quantities"] == {mug_line: 2}
    assert [
        (r["status"], [(ln["line_id"], ln["quantity"]) for ln in r["lines"]]) for r in order["refunds"]
    ] == [("manual", [(mug_line, 2)])]


def test_a_guessed_link_shows_the_same_page_as_any_link_that_is_not_valid(
    local: Running, browser: Any
) -> None:
    page = browser.new_page()
    answers = []
    for token in ("ZGVtby1zaG9waWZ5LjcwMDE6MQ." + "A" * 24, "nothing-here"):
        response = page.goto(f"{local.api_url}/choices/{token}")
        assert response is not None
        answers.append((response.status, page.inner_text("main")))
    assert answers[0] == answers[1] == (404, "Order choice\n\nThis link is not valid.")
    page.screenshot(path=str(SHOTS / "choice-not-valid.png"), full_page=True)
    assert accessibility_violations(page) == []
    page.close()
