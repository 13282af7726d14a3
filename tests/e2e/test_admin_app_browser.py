"""The admin app as staff use it, in Chromium (Debian's, driven by Playwright) on the local stack:
signed in through the hosted UI (authorization code + PKCE), an order found by the customer's
email, one unit of a line cancelled, a shipped unit refunded and put back on the shelf; then the
warehouse signs in, sees no refund or cancel button, and the API refuses the refund anyway.
Every screen is checked with axe-core and kept as a screenshot."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from oms_local.channel_emulator import Fault
from oms_local.runner import Running, wait_for
from oms_local.samples import shopify_order, woocommerce_delivery, woocommerce_order
from oms_local.seed import WOO_STORE
from tests.e2e.pages import accessibility_violations, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TIMES = "\N{MULTIPLICATION SIGN}"  # how the app writes "2 of"
LEFT = {"shipped", "in_transit", "out_for_delivery", "delivered"}
# The local stack shares two cores with the rest of the suite: an answer may take seconds.
expect.set_options(timeout=30_000)


def _accessible(page: Any, name: str) -> None:
    shot(page, f"admin-{name}")
    assert accessibility_violations(page, serious=True) == [], name


def _sign_in(page: Any, local: Running, email: str) -> None:
    assert local.app is not None
    page.goto(f"{local.app.url}/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(local.users[email].password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(f"{email} (")).to_be_visible()


def _go(page: Any, screen: str) -> None:
    page.get_by_role("navigation", name="Screens").get_by_role("link", name=screen).click()
    expect(page.get_by_role("heading", name=screen)).to_be_visible()


def _orders_screen(page: Any) -> None:
    _go(page, "Orders")


def _stock(local: Running, sku: str, on_hand: int) -> None:
    counted = {"locations": [{"location": "wh-west", "on_hand": on_hand}]}
    assert local.request("PUT", f"/stock/{sku}", counted)[0] == 200


def _place(
    local: Running, reference: str, email: str, lines: list[dict[str, Any]], *, currency: str = "USD"
) -> str:
    """A phone order on the demo WooCommerce store (its reference is its Idempotency-Key)."""
    body = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": currency,
        "customer": {"email": email, "first_name": "Grace"},
        "shipping_address": {
            "name": "Grace <Hopper>",
            "line1": "1 Harbour St",
            "city": "Boston",
            "postal_code": "02110",
            "country_code": "US",
        },
        "lines": lines,
    }
    assert local.request("POST", "/orders", body, headers={"idempotency-key": reference})[0] == 202
    return f"demo-woo.{reference}"


def _order(local: Running, email: str) -> tuple[str, str, str]:
    """A phone order of two SKUs of its own, allocated and waiting to ship."""
    tag = uuid.uuid4().hex[:6].upper()
    mug, tee = f"APP-MUG-{tag}", f"APP-TEE-{tag}"
    for sku in (mug, tee):
        _stock(local, sku, 10)
    lines = [
        {"sku": mug, "name": "Enamel mug", "quantity": 2, "unit_price": "12.50"},
        {"sku": tee, "name": "Logo tee <M>", "quantity": 1, "unit_price": "20.00"},
    ]
    order_id = _place(local, f"APP-{tag}", email, lines, currency="EUR")
    assert wait_for(lambda: local.request("GET", f"/orders/{order_id}")[1].get("status") == "fulfilling", 60)
    return order_id, mug, tee


def _ship(local: Running, order_id: str) -> None:
    for shipment in local.request("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
        if shipment["status"] == "pending":
            assert local.request("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200


def test_staff_find_an_order_by_email_cancel_a_unit_and_refund_a_shipped_one_with_restock(
    local: Running, browser: Any
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    order_id, mug, tee = _order(local, email)
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    home = page.get_by_role("list", name="Today's counts")
    expect(home).to_contain_text("orders in today")
    _accessible(page, "home")
    _orders_screen(page)
    _accessible(page, "orders")

    page.get_by_label("Search").fill(email)
    polled: list[tuple[str | None, str | None, str | None]] = []

    def listed(response: Any) -> None:
        if "/orders?q=" in response.url:
            sent = response.all_headers()
            asked = response.request.all_headers().get("if-none-match")
            polled.append((asked, sent.get("etag"), sent.get("content-length")))

    page.on("response", listed)
    page.get_by_role("button", name="Apply").click()
    assert "q=" in page.url  # the view is saved in the URL
    number = order_id.split(".", 1)[1]
    expect(page.get_by_role("link", name=number)).to_be_visible()

    # The list polls every 4 s: unchanged, it is revalidated by its tag and no body comes back.
    def revalidated() -> bool:
        return any((asked, size) == (polled[0][1], "0") for asked, _, size in polled[1:])

    for _ in range(80):
        if revalidated():
            break
        page.wait_for_timeout(250)
    assert polled[0][0] is None
    assert revalidated(), polled
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_text("Grace <Hopper>")).to_be_visible()  # shown as text, never as markup
    _accessible(page, "order")
    # A tag added on the order, then taken off again.
    tags = page.get_by_role("group", name="Tags")
    tags.get_by_label("New tag").fill("VIP call back")
    tags.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("status")).to_have_text("Tagged VIP call back.")
    assert "VIP call back" in local.request("GET", f"/orders/{order_id}")[1]["tags"]
    tags.get_by_role("button", name="Remove tag VIP call back").click()
    expect(page.get_by_role("status")).to_have_text("Tag VIP call back removed.")
    expect(tags).to_contain_text("none")

    page.get_by_role("button", name="Cancel units").click()
    dialog = page.get_by_role("dialog", name="Cancel units")
    dialog.get_by_role("spinbutton", name="Enamel mug").fill("1")
    expect(
        dialog.get_by_text(
            f"Cancels 1 {TIMES} Enamel mug; their reserved stock is released and their price refunded."
        )
    ).to_be_visible()
    _accessible(page, "cancel-dialog")
    dialog.get_by_role("button", name="Cancel these units").click()
    expect(page.get_by_role("status").filter(has_text="Cancelled.")).to_be_visible()
    lines = page.get_by_role("table", name="Lines")
    mug_row = lines.get_by_role("row").filter(has_text="Enamel mug")
    expect(mug_row.locator("td").nth(2)).to_have_text("2")  # ordered
    expect(mug_row.locator("td").nth(5)).to_have_text("1")  # cancelled
    order = local.request("GET", f"/orders/{order_id}")[1]
    mug_line = next(x["line_id"] for x in order["lines"] if x["sku"] == mug)
    tee_line = next(x["line_id"] for x in order["lines"] if x["sku"] == tee)
    assert order["cancelled_quantities"] == {mug_line: 1}

    _ship(local, order_id)
    before = local.request("GET", f"/stock/{tee}")[1]["on_hand"]
    expect(page.get_by_role("table", name="Shipments")).to_contain_text("shipped", timeout=15_000)

    page.get_by_role("button", name="Refund").click()
    dialog = page.get_by_role("dialog", name="Refund")
    dialog.get_by_role("spinbutton", name="Logo tee <M>").fill("1")
    dialog.get_by_label("Restock Logo tee <M>").check()
    dialog.get_by_label("Reason").fill("arrived torn")
    expect(
        dialog.get_by_text(
            f"Refunds 1 {TIMES} Logo tee <M>; 1 {TIMES} Logo tee <M> back on hand.", exact=False
        )
    ).to_be_visible()
    _accessible(page, "refund-dialog")
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Refund")).to_be_visible()
    _accessible(page, "order-refunded")

    order = local.request("GET", f"/orders/{order_id}")[1]
    refunds = [
        (r["reason"], [(x["line_id"], x["quantity"], x["restocked"]) for x in r["lines"]])
        for r in order["refunds"]
    ]
    assert ("arrived torn", [(tee_line, 1, 1)]) in refunds
    assert local.request("GET", f"/stock/{tee}")[1]["on_hand"] == before + 1
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    context.close()


def test_the_warehouse_sees_no_refund_or_cancel_and_the_api_refuses_the_refund(
    local: Running, browser: Any
) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    order_id, _, _ = _order(local, email)
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "warehouse@demo.local")
    assert local.app is not None
    page.goto(f"{local.app.url}/#/orders/{order_id}")
    expect(page.get_by_role("heading", name=f"Order {order_id.split('.', 1)[1]}")).to_be_visible()
    actions = page.get_by_role("group", name="Actions")
    expect(actions.get_by_role("button", name="Refund")).to_have_count(0)
    expect(actions.get_by_role("button", name="Cancel units")).to_have_count(0)
    expect(actions.get_by_role("button", name="Add note")).to_have_count(0)
    _accessible(page, "order-as-warehouse")
    # The warehouse user's own token (from this tab's refresh token), calling the refund route.
    answer = page.evaluate(
        """async ([auth, api, client, order]) => {
          const form = new URLSearchParams({grant_type: "refresh_token", client_id: client,
            refresh_token: sessionStorage.getItem("oms.refresh")});
          const tokens = await (await fetch(`${auth}/oauth2/token`, {method: "POST", body: form})).json();
          const response = await fetch(`${api}/orders/${encodeURIComponent(order)}/refunds`, {
            method: "POST",
            headers: {authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json"},
            body: JSON.stringify({amount: "1.00", reason: "not allowed"})});
          return [response.status, await response.json()];
        }""",
        [local.api_url, local.api_url, local.app.config["clientId"], order_id],
    )
    assert answer[0] == 403
    assert answer[1]["code"] == "forbidden"
    assert local.request("GET", f"/orders/{order_id}")[1]["refunds"] == []
    context.close()


def test_the_warehouse_ships_a_woocommerce_order_through_the_fulfilment_screens(
    local: Running, browser: Any
) -> None:
    sku, other_sku = (f"APP-SCAN-{uuid.uuid4().hex[:6].upper()}" for _ in range(2))
    _stock(local, sku, 5)
    _stock(local, other_sku, 5)
    number = 880_000 + int(uuid.uuid4().hex[:4], 16)
    # The second order only has its packing slip printed, in a batch with the first's.
    for n, s in ((number, sku), (number + 70_000, other_sku)):
        delivery = woocommerce_delivery(
            woocommerce_order(n, skus={s: 2}), store_id="demo-woo", secret=str(WOO_STORE["webhook_secret"])
        )
        status, _ = local.request(
            "POST", delivery.path, raw=delivery.body, headers=delivery.headers, token=""
        )
        assert status == 202
    order_id, other_id = f"demo-woo.{number}", f"demo-woo.{number + 70_000}"
    for oid in (order_id, other_id):
        assert wait_for(
            lambda o=oid: local.request("GET", f"/orders/{o}")[1].get("status") == "fulfilling", 60
        )

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "warehouse@demo.local")
    _go(page, "Fulfilment")
    page.get_by_label("Location").select_option("wh-west")
    queue = page.get_by_role("table", name="Shipments to work")
    expect(queue).to_contain_text(str(number))
    expect(queue).to_contain_text(str(number + 70_000))
    _accessible(page, "fulfilment-queue")
    # Both selected, their packing slips printed as one batch, a page each.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    for oid in (order_id, other_id):
        page.get_by_label(f"Select {oid}-S1").check()
    page.get_by_role("button", name="Print 2 packing slip(s)").click()
    assert wait_for(lambda: page.evaluate("window.printed") == 1, 10)
    for oid, s in ((order_id, sku), (other_id, other_sku)):
        slip = page.get_by_role("region", name=f"Packing slip {oid}-S1")
        expect(slip.get_by_role("row").filter(has_text=s)).to_contain_text("2")
    page.emulate_media(media="print")
    shot(page, "admin-packing-slips-printed")
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Close print view").click()
    # A scanner types the SKU and Enter: the shipment that needs it opens.
    page.get_by_label("Scan or type an order number, shipment or SKU").fill(sku)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Shipment {order_id}-S1")).to_be_visible()
    # The print dialog, as the test sees it: each call counted.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print pick list", exact=True).click()
    assert wait_for(lambda: page.evaluate("window.printed") == 1, 10)
    pick = page.get_by_role("region", name=f"Pick list {order_id}-S1")
    expect(pick.get_by_role("row").filter(has_text=sku)).to_contain_text("2")
    page.emulate_media(media="print")
    shot(page, "admin-pick-list-printed")
    page.emulate_media(media="screen")
    _accessible(page, "shipment")

    page.get_by_role("button", name="Pack", exact=True).click()
    expect(page.get_by_role("heading", name=f"Shipment {order_id}-S1")).to_contain_text("packed")
    page.get_by_role("button", name="Rates").click()
    page.get_by_label("express", exact=False).check()
    _accessible(page, "rates")
    page.get_by_role("button", name="Buy label").click()
    expect(page.get_by_text("Label: Sandbox Post express")).to_be_visible()
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.get_by_role("heading", name=f"Shipment {order_id}-S1")).to_contain_text("shipped")
    _accessible(page, "shipped")

    (shipment,) = local.request("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
    # It left with the label bought on screen (the poller, an hour a second here, may already
    # have seen the carrier's first scans).
    assert shipment["status"] in LEFT, shipment["status"]
    assert shipment["label"]["service"] == "express"
    assert local.request("GET", f"/orders/{order_id}")[1]["status"] in ("shipped", "delivered")
    context.close()


def test_counting_stock_on_the_stock_screen_releases_an_order_held_for_it(
    local: Running, browser: Any
) -> None:
    sku = f"APP-SHORT-{uuid.uuid4().hex[:6].upper()}"
    _stock(local, sku, 0)
    reference = f"APP-HOLD-{uuid.uuid4().hex[:6].upper()}"
    lamp = {"sku": sku, "name": "Scarce lamp", "quantity": 2, "unit_price": "30.00"}
    order_id = _place(local, reference, "held@example.com", [lamp])
    assert wait_for(lambda: local.request("GET", f"/orders/{order_id}")[1].get("status") == "on_hold", 60)

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "warehouse@demo.local")
    _go(page, "Stock")
    page.get_by_label("SKU", exact=True).fill(sku)
    page.get_by_role("button", name="Show").click()
    panel = page.get_by_role("region", name=f"Stock of {sku}")
    expect(panel).to_contain_text("0 on hand, 0 reserved, 0 available")
    _accessible(page, "stock")
    panel.get_by_label("Counted on hand at wh-west").fill("3")
    panel.get_by_label("Reason").select_option("goods received")
    panel.get_by_role("button", name="Save counts").click()
    expect(panel.get_by_role("status")).to_have_text("Counted: 3 at wh-west (goods received).")
    # The held order is released by the count: its 2 units reserved within seconds.
    expect(panel).to_contain_text("3 on hand, 2 reserved, 1 available", timeout=60_000)
    page.goto(f"{local.app.url}/#/orders/{order_id}")
    expect(page.get_by_role("heading", name=f"Order {reference}")).not_to_contain_text("on hold")
    assert local.request("GET", f"/orders/{order_id}")[1]["status"] in ("confirmed", "fulfilling")
    context.close()


def test_the_warehouse_counts_a_returned_parcel_in_and_the_refund_follows(
    local: Running, browser: Any
) -> None:
    order_id, mug, _ = _order(local, f"ret-{uuid.uuid4().hex[:8]}@example.com")
    _ship(local, order_id)
    for shipment in local.request("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
        local.request("POST", f"/shipments/{shipment['shipment_id']}/delivered")
    order = local.request("GET", f"/orders/{order_id}")[1]
    mug_line = next(x["line_id"] for x in order["lines"] if x["sku"] == mug)
    status, ret = local.request(
        "POST",
        f"/orders/{order_id}/returns",
        {"lines": [{"line_id": mug_line, "quantity": 1, "reason": "damaged"}]},
    )
    assert status == 201, ret
    assert local.request("POST", f"/returns/{ret['return_id']}/approve", {"label": "none"})[0] == 200
    before = local.request("GET", f"/stock/{mug}")[1]["on_hand"]

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "warehouse@demo.local")
    _go(page, "Returns")
    page.get_by_role("link", name="approved").click()
    page.get_by_role("link", name=ret["return_id"]).click()
    expect(page.get_by_role("heading", name=f"Return {ret['return_id']}")).to_contain_text("approved")
    _accessible(page, "return")
    page.get_by_label("Units of Enamel mug counted now").fill("1")
    page.get_by_label("Location for Enamel mug").select_option("wh-west")
    page.get_by_role("button", name="Count in").click()
    expect(page.get_by_role("status")).to_contain_text("Counted in. Return closed; refunded")
    _accessible(page, "return-received")
    after = local.request("GET", f"/returns/{ret['return_id']}")[1]
    assert (after["status"], after["lines"][0]["restocked"], after["refunded"]["amount"]) == (
        "closed",
        1,
        "12.50",
    )
    assert local.request("GET", f"/stock/{mug}")[1]["on_hand"] == before + 1
    context.close()


def test_a_bulk_tag_job_on_fifty_orders_runs_to_its_end_on_screen(local: Running, browser: Any) -> None:
    email = f"bulk-{uuid.uuid4().hex[:8]}@example.com"
    tag = f"wave-{uuid.uuid4().hex[:4]}"
    sku = f"APP-BULK-{uuid.uuid4().hex[:6].upper()}"
    _stock(local, sku, 100)
    references = [f"APP-BULK-{uuid.uuid4().hex[:8].upper()}" for _ in range(50)]
    for reference in references:
        _place(
            local, reference, email, [{"sku": sku, "name": "Sticker", "quantity": 1, "unit_price": "2.00"}]
        )
    # All 50 found by the customer's email (the search index follows the table's stream).
    assert wait_for(lambda: len(local.request("GET", f"/orders?q={email}&limit=100")[1]["orders"]) == 50, 120)

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    _orders_screen(page)
    page.get_by_label("Search").fill(email)
    page.get_by_role("button", name="Apply").click()
    table = page.get_by_role("table", name="Orders")
    expect(table.get_by_role("row")).to_have_count(51)  # the header and 50 orders
    page.get_by_label("Select every order on this page").check()
    expect(page.get_by_text("50 selected", exact=True)).to_be_visible()
    page.get_by_label("Action", exact=True).select_option(label="Add a tag")
    page.get_by_label("Tag", exact=True).fill(tag)
    expect(page.get_by_text("Add a tag: adds the tag, for the 50 selected order(s)")).to_be_visible()
    page.get_by_role("button", name="Run on selected").click()
    expect(page.get_by_role("status").filter(has_text="done:")).to_have_text(
        "done: 50 tagged, 0 failed", timeout=120_000
    )
    expect(page.get_by_label("Bulk job progress")).to_have_attribute("value", "50")
    _accessible(page, "bulk-job-done")
    tagged = [local.request("GET", f"/orders/demo-woo.{r}")[1]["tags"] for r in references]
    assert all(tag in tags for tags in tagged)

    # Then a CSV of the same orders, from the same selection: the job's file is offered.
    page.get_by_label("Action", exact=True).select_option(label="Export as CSV")
    page.get_by_role("button", name="Run on selected").click()
    expect(page.get_by_role("status").filter(has_text="done:")).to_have_text(
        "done: 50 exported, 0 failed", timeout=120_000
    )
    download = page.get_by_role("link", name="Download the CSV")
    expect(download).to_be_visible()
    csv = urllib.request.urlopen(download.get_attribute("href"), timeout=30).read().decode()
    assert sum(reference in csv for reference in references) == 50
    context.close()


def test_staff_copy_a_stores_webhook_address_and_change_its_settings(local: Running, browser: Any) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    _go(page, "Stores")
    page.get_by_role("link", name="Demo WooCommerce", exact=False).first.click()
    store = page.get_by_role("region", name="Store", exact=False)
    expect(page.get_by_label("Webhook address")).to_have_value(
        f"{local.api_url}/webhooks/woocommerce/demo-woo"
    )
    store.get_by_role("button", name="Copy").click()
    expect(store.get_by_role("status")).to_have_text("Webhook address copied.")
    assert (
        page.evaluate("() => navigator.clipboard.readText()")
        == f"{local.api_url}/webhooks/woocommerce/demo-woo"
    )
    _accessible(page, "store")
    window = store.get_by_label("Return window (days from delivery)")
    old = local.request("GET", "/stores/demo-woo")[1]["settings"]["return_window_days"]
    window.fill(str(old + 1))
    expect(store.get_by_text(f"Changes: return window days → {old + 1}.")).to_be_visible()
    store.get_by_role("button", name="Save settings").click()
    expect(store.get_by_role("status")).to_have_text("Settings saved.")
    assert local.request("GET", "/stores/demo-woo")[1]["settings"]["return_window_days"] == old + 1
    assert local.request("PATCH", "/stores/demo-woo", {"settings": {"return_window_days": old}})[0] == 200
    # A store without API keys cannot be reconciled: the API's reason is shown.
    store.get_by_role("button", name="Reconcile now").click()
    expect(store.get_by_role("alert")).to_have_text(
        "the store has no API credentials to read its orders with"
    )
    context.close()


def test_staff_reconcile_a_shop_on_screen_and_see_the_order_its_lost_webhook_never_brought(
    local: Running, browser: Any
) -> None:
    shop_domain, token = "screen-recon.myshopify.com", "shpat_local_screen_recon"
    shop = local.channels.shopify(shop_domain, token)
    store = {
        "store_id": "screen-recon",
        "channel": "shopify",
        "name": "Screen reconciled shop",
        "webhook_secret": "screen-recon-webhook-secret",
        "shop_domain": shop_domain,
        "api_credentials": {"access_token": token},
        "settings": {
            "location_priority": ["wh-east"],
            "reconcile_every_minutes": 0,
            "inventory_sync": True,
        },
    }
    assert local.request("POST", "/stores", store)[0] == 201
    sku = f"SCREEN-{uuid.uuid4().hex[:6].upper()}"
    shop.sell(sku)
    assert (
        local.request("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 3}]})[0]
        == 200
    )
    placed = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    shop.place(shopify_order(93_001, skus={sku: 1}, updated_at=placed))  # its webhook never comes

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    _go(page, "Stores")
    page.get_by_role("link", name="Screen reconciled shop").click()
    region = page.get_by_role("region", name="Store Screen reconciled shop")
    expect(region.get_by_text("Newest order received")).to_be_visible()
    expect(region.get_by_text("Last push the channel refused")).to_be_visible()
    expect(region.locator("dd").first).to_have_text("none yet")
    region.get_by_label("Look for missed orders changed in").select_option(label="the last hour")
    region.get_by_role("button", name="Reconcile now").click()
    expect(region.get_by_role("status")).to_contain_text("Reconciliation queued")
    # The screen follows: the order reconciliation found, and the warning that webhooks are lost.
    expect(region.get_by_text("1 — webhooks may be failing")).to_be_visible(timeout=60_000)
    expect(region.get_by_role("link", name="93001")).to_be_visible(timeout=60_000)
    # The shop stops taking the OMS's token: the next stock push is refused, and the screen says so.
    local.channels.fail_next(shop_domain, *(Fault(status=401) for _ in range(3)))
    assert (
        local.request("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 5}]})[0]
        == 200
    )
    expect(region.get_by_text("shopify refused the store's API credentials (401)")).to_be_visible(
        timeout=60_000
    )
    _accessible(page, "store-reconciled")
    region.get_by_role("link", name="93001").click()
    expect(page.get_by_role("heading", name="Order #93001")).to_be_visible()
    context.close()


def test_staff_edit_an_order_before_it_ships_and_start_a_return_after(local: Running, browser: Any) -> None:
    order_id, mug, tee = _order(local, f"edit-{uuid.uuid4().hex[:8]}@example.com")
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    page.goto(f"{local.app.url}/#/orders/{order_id}")
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit the order")
    dialog.get_by_role("spinbutton", name="Logo tee <M>").fill("2")
    expect(dialog.get_by_text("Logo tee <M>: 1 → 2", exact=False)).to_be_visible()
    _accessible(page, "edit-dialog")
    dialog.get_by_role("button", name="Save the edit").click()
    expect(page.get_by_role("status").filter(has_text="Order edited.")).to_be_visible()
    order = local.request("GET", f"/orders/{order_id}")[1]
    # One more tee is a line of its own (the edit's), reserved like the rest.
    assert sum(x["quantity"] for x in order["lines"] if x["sku"] == tee) == 2
    assert len(order["edits"]) == 1
    assert wait_for(
        lambda: local.request("GET", f"/orders/{order_id}")[1]["reservation"]["reserved"].get(tee) == 2, 30
    )

    assert wait_for(
        lambda: all(
            s["status"] == "pending"
            for s in local.request("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
        ),
        30,
    )
    _ship(local, order_id)
    page.reload()
    page.get_by_role("button", name="Start a return").click()
    dialog = page.get_by_role("dialog", name="Start a return")
    dialog.get_by_role("spinbutton", name="Enamel mug").fill("1")
    dialog.get_by_label("Reason").select_option("size_or_fit")
    expect(dialog.get_by_text(f"Starts a return of 1 {TIMES} Enamel mug", exact=False)).to_be_visible()
    _accessible(page, "return-dialog")
    dialog.get_by_role("button", name="Start the return").click()
    expect(page.get_by_role("status").filter(has_text="Return")).to_contain_text("requested")
    (ret,) = local.request("GET", f"/orders/{order_id}/returns")[1]["returns"]
    assert [(x["sku"], x["quantity"], x["reason"]) for x in ret["lines"]] == [(mug, 1, "size_or_fit")]
    assert ret["source"] == "staff"
    context.close()


def test_staff_approve_one_return_with_a_label_and_decline_another_saying_why(
    local: Running, browser: Any
) -> None:
    order_id, mug, tee = _order(local, f"rma-{uuid.uuid4().hex[:8]}@example.com")
    _ship(local, order_id)
    for shipment in local.request("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
        local.request("POST", f"/shipments/{shipment['shipment_id']}/delivered")
    lines = {x["sku"]: x["line_id"] for x in local.request("GET", f"/orders/{order_id}")[1]["lines"]}
    asked = []
    for sku in (mug, tee):
        ask = {"lines": [{"line_id": lines[sku], "quantity": 1, "reason": "changed_mind"}]}
        status, ret = local.request("POST", f"/orders/{order_id}/returns", ask)
        assert status == 201, ret
        asked.append(ret["return_id"])

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    page.goto(f"{local.app.url}/#/returns/{asked[0]}")
    expect(page.get_by_role("heading", name=f"Return {asked[0]}")).to_contain_text("requested")
    _accessible(page, "return-requested")
    page.get_by_role("button", name="Approve with a label").click()
    expect(page.get_by_role("status")).to_contain_text("Approved; label SBX")
    expect(page.get_by_role("heading", name=f"Return {asked[0]}")).to_contain_text("approved")

    page.goto(f"{local.app.url}/#/returns/{asked[1]}")
    page.get_by_label("Decline because").fill("worn <twice>")
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Declined; the customer is told why.")
    approved, declined = (local.request("GET", f"/returns/{r}")[1] for r in asked)
    assert approved["status"] == "approved"
    assert approved["label"]["tracking_number"].startswith("SBX")
    assert (declined["status"], declined["declined_reason"]) == ("declined", "worn <twice>")
    context.close()


def test_the_warehouse_ships_a_parcel_another_way_confirms_its_delivery_and_cancels_another(
    local: Running, browser: Any
) -> None:
    sku = f"APP-HAND-{uuid.uuid4().hex[:6].upper()}"
    _stock(local, sku, 4)
    line = [{"sku": sku, "name": "Hand-delivered vase", "quantity": 1, "unit_price": "30.00"}]
    handed, cancelled = (
        _place(local, f"APP-HAND-{uuid.uuid4().hex[:8].upper()}", "vase@example.com", line) for _ in range(2)
    )
    for oid in (handed, cancelled):
        assert wait_for(
            lambda o=oid: local.request("GET", f"/orders/{o}")[1].get("status") == "fulfilling", 60
        )

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "warehouse@demo.local")
    page.goto(f"{local.app.url}/#/fulfilment/{handed}-S1")
    heading = page.get_by_role("heading", name=f"Shipment {handed}-S1")
    expect(heading).to_contain_text("pending")
    page.get_by_role("button", name="Shipped another way").click()
    form = page.get_by_role("form", name="Shipped another way")
    form.get_by_label("Carrier").fill("City Courier")
    form.get_by_label("Tracking number").fill("CC 2026 0001")
    expect(form.get_by_text("Records City Courier CC 2026 0001")).to_be_visible()
    _accessible(page, "shipment-tracking-form")
    form.get_by_role("button", name="Record tracking").click()
    expect(page.get_by_role("status")).to_have_text("Tracking CC 2026 0001 recorded.")
    expect(page.get_by_text("Label: City Courier")).to_be_visible()
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(heading).to_contain_text("shipped")
    page.get_by_role("button", name="Confirm delivery").click()
    expect(page.get_by_role("status")).to_have_text("Delivery confirmed.")
    expect(heading).to_contain_text("delivered")
    assert local.request("GET", f"/orders/{handed}")[1]["status"] == "delivered"

    page.goto(f"{local.app.url}/#/fulfilment/{cancelled}-S1")
    page.get_by_role("button", name="Cancel shipment").click()
    form = page.get_by_role("form", name="Cancel shipment")
    form.get_by_label("Why (kept on the order's timeline)").fill("vase cracked on the shelf")
    _accessible(page, "shipment-cancel-form")
    form.get_by_role("button", name="Cancel this shipment").click()
    expect(page.get_by_role("status")).to_have_text("Shipment cancelled.")
    expect(page.get_by_role("heading", name=f"Shipment {cancelled}-S1")).to_contain_text("cancelled")
    assert local.request("GET", f"/stock/{sku}")[1]["reserved"] == 1  # still the order's
    context.close()


def test_staff_open_a_claim_for_a_unit_that_arrived_broken_and_it_is_sent_again_free(
    local: Running, browser: Any
) -> None:
    order_id, _, _ = _order(local, f"claim-{uuid.uuid4().hex[:8]}@example.com")
    _ship(local, order_id)
    number = order_id.split(".", 1)[1]

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    page.goto(f"{local.app.url}/#/orders/{order_id}")
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    page.get_by_role("button", name="Open a claim").click()
    dialog = page.get_by_role("dialog", name="Open a claim")
    dialog.get_by_role("spinbutton", name="Enamel mug").fill("1")
    dialog.get_by_label("What happened").select_option(label="Arrived damaged")
    dialog.get_by_label("sending them again, free").check()
    dialog.get_by_label("Note").fill("handle snapped in the post")
    expect(
        dialog.get_by_text(f"Sends 1 {TIMES} Enamel mug again in a new order at no charge")
    ).to_be_visible()
    _accessible(page, "claim-dialog")
    dialog.get_by_role("button", name="Open the claim").click()
    expect(page.get_by_role("status").filter(has_text="sent again as order")).to_be_visible()
    claims = page.get_by_role("table", name="Claims")
    expect(claims).to_contain_text("damaged in transit")
    expect(claims).to_contain_text(f"1 {TIMES} Enamel mug")
    (claim,) = local.request("GET", f"/orders/{order_id}")[1]["claims"]
    assert (claim["type"], claim["resolution"], claim["note"]) == (
        "damaged_in_transit",
        "reship",
        "handle snapped in the post",
    )
    claims.get_by_role("link").click()  # the replacement order, free
    replacement = local.request("GET", f"/orders/{claim['replacement_order_id']}")[1]
    expect(page.get_by_role("heading", name=f"Order {replacement['number']}")).to_be_visible()
    assert replacement["totals"]["total"]["amount"] in ("0", "0.00")
    context.close()


def test_staff_record_what_the_customer_paid_for_a_dearer_exchange_and_the_replacement_is_released(
    local: Running, browser: Any
) -> None:
    order_id, mug, tee = _order(local, f"swap-{uuid.uuid4().hex[:8]}@example.com")
    _ship(local, order_id)
    order = local.request("GET", f"/orders/{order_id}")[1]
    mug_line = next(line["line_id"] for line in order["lines"] if line["sku"] == mug)
    asked = {
        "lines": [{"line_id": mug_line, "quantity": 1, "reason": "size_or_fit"}],
        "exchange": [{"sku": tee, "quantity": 1, "unit_price": "20.00"}],  # a mug (12.50) for a tee
    }
    status, ret = local.request("POST", f"/orders/{order_id}/returns", asked)
    assert status == 201, ret
    status, ret = local.request("POST", f"/returns/{ret['return_id']}/approve", {"label": "none"})
    assert status == 200, ret
    assert ret["exchange_owed"]["amount"] == "7.50"

    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, local, "staff@demo.local")
    page.goto(f"{local.app.url}/#/returns/{ret['return_id']}")
    expect(page.get_by_text("the customer owes €7.50, not paid yet: the replacement waits")).to_be_visible()
    form = page.get_by_role("form", name="Exchange payment")
    form.get_by_label("Payment reference (link, transaction id)").fill("pay-link-7731")
    _accessible(page, "exchange-payment")
    form.get_by_role("button", name="Record the payment of €7.50").click()
    expect(page.get_by_role("status")).to_have_text("Payment recorded; the replacement is released.")
    expect(page.get_by_text("the customer owes €7.50, paid")).to_be_visible()
    expect(page.get_by_role("form", name="Exchange payment")).to_have_count(0)
    after = local.request("GET", f"/returns/{ret['return_id']}")[1]
    assert after["exchange_paid_at"] is not None
    assert any("pay-link-7731" in (t.get("reason") or "") for t in after["timeline"])
    context.close()
