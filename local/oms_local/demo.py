"""`make demo`: signed webhooks from both channels, a duplicate, an out-of-stock order and a late
payment, narrated as the orders move; then fulfilment: the Shopify order auto-fulfilled with the
sandbox carrier and tracked by the scheduled poller to delivered and completed, the WooCommerce
order picked, packed, labelled and shipped through the staff API; then the emails and alerts that
went out. Last, stock on every channel: a WooCommerce order takes a SKU's last unit and the
(emulated) Shopify store is told it has none left, with no one doing anything.

Uses the stack `make run` started (found through .oms-local.json) or starts one of its own."""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from oms_local.runner import DEFAULT_TIME_SCALE, FACTS, Running, wait_for
from oms_local.samples import (
    Delivery,
    fixture,
    shopify_delivery,
    shopify_order,
    woocommerce_delivery,
    woocommerce_order,
)
from oms_local.seed import SHOPIFY_STORE, WOO_STORE

BOLD, DIM, GREEN, YELLOW, RED, RESET = "\033[1m", "\033[2m", "\033[32m", "\033[33m", "\033[31m", "\033[0m"
_STATUS_COLOUR = {
    "confirmed": GREEN,
    "on_hold": YELLOW,
    "cancelled": RED,
    "delivered": GREEN,
    "completed": GREEN,
    "shipped": GREEN,
    "fulfilling": GREEN,
    "partially_shipped": GREEN,
    "exception": RED,
    "returned_to_sender": RED,
}


@dataclass
class Target:
    api_url: str
    token: str
    moto_endpoint: str
    channels_url: str | None = None  # the stores' emulated APIs (oms_local.channel_emulator)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        admin: bool = True,
    ) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.api_url}{path}", data=body, method=method)
        for name, value in (headers or {"content-type": "application/json"}).items():
            request.add_header(name, value)
        if admin:
            request.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def moto(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.moto_endpoint}/moto-api/data.json", timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data


def _running_target() -> Target | None:
    if not FACTS.exists():
        return None
    data = json.loads(FACTS.read_text())
    target = Target(data["api_url"], data["admin_token"], data["moto_endpoint"], data.get("channels_url"))
    try:
        target.call("GET", "/stores")
    except (urllib.error.URLError, OSError):
        return None
    return target


class Narrator:
    def __init__(self, target: Target, colour: bool) -> None:
        self.target = target
        self.colour = colour
        self.shown: dict[str, int] = {}

    def c(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.colour else text

    def send(self, label: str, delivery: Delivery) -> None:
        status, body = self.target.call(
            "POST", delivery.path, body=delivery.body, headers=delivery.headers, admin=False
        )
        outcome = body.get("status") or body.get("code") if isinstance(body, dict) else body
        print(f"  {self.c(BOLD, '->')} {label:<62} {status} {outcome}")

    def follow(self, order_id: str, until: set[str], timeout: float = 30) -> str | None:
        status: str | None = None

        def moved() -> bool:
            nonlocal status
            code, order = self.target.call("GET", f"/orders/{order_id}")
            if code != 200:
                return False
            status = order["status"]
            timeline = order["timeline"]
            if order_id not in self.shown:
                hold = f"  ({order['hold']['reason']})" if order.get("hold") else ""
                print(
                    f"\n  {self.c(BOLD, order_id)}  {order['number']}  {order['channel']}  "
                    f"{order['totals']['total']['amount']} {order['currency']}{hold}"
                )
                self.shown[order_id] = 0
            new_entries = len(timeline) > self.shown[order_id]
            for entry in timeline[self.shown[order_id] :]:
                arrow = f"{entry.get('from_status') or '':>16} -> {entry['to_status']:<17}"
                colour = _STATUS_COLOUR.get(entry["to_status"], "")
                reason = self.c(DIM, entry.get("reason") or "")
                print(f"      {entry['at'][11:19]}  {self.c(colour, arrow)} {reason}")
            self.shown[order_id] = len(timeline)
            if new_entries and order.get("hold") and order["hold"].get("short_lines"):
                for line in order["hold"]["short_lines"]:
                    have = "unknown SKU" if line["available"] is None else f"{line['available']} available"
                    sku = line["sku"] or "(line without SKU)"
                    print(f"      {'':8}  short: {sku} needs {line['requested']}, {have}")
            return status in until

        wait_for(moved, timeout, interval=0.5)
        return status

    def shipments(self, order_id: str) -> list[dict[str, Any]]:
        code, body = self.target.call("GET", f"/orders/{order_id}/shipments")
        return list(body.get("shipments", [])) if code == 200 else []

    def show_shipment(self, shipment: dict[str, Any]) -> None:
        label = shipment.get("label") or {}
        lines = ", ".join(f"{line['quantity']} x {line['sku']}" for line in shipment["lines"])
        print(f"      shipment {shipment['shipment_id']} from {shipment['location']}: {lines}")
        if label:
            cost = label.get("cost") or {}
            print(
                f"      {label['carrier']} {label.get('service') or ''} {label.get('tracking_number')}"
                f"  label {cost.get('amount', '?')} {cost.get('currency', '')}"
            )
        for event in shipment["tracking"]["events"]:
            colour = _STATUS_COLOUR.get(event["status"], DIM)
            print(
                f"      {event['at'][5:16].replace('T', ' ')}  {self.c(colour, event['status']):<28}"
                f" {event['description']}  {self.c(DIM, event.get('location') or '')}"
            )


def run(target: Target, *, colour: bool) -> int:
    shop_secret, woo_secret = str(SHOPIFY_STORE["webhook_secret"]), str(WOO_STORE["webhook_secret"])
    n = Narrator(target, colour)
    started = time.time()
    stamp = int(started) % 100_000
    before = _outbox(target)
    print(n.c(BOLD, f"\nOMS demo against {target.api_url}\n"))

    recent = fixture("shopify/orders-create-recent.json")
    recent["id"] = 1_000_000 + stamp
    first = shopify_delivery(recent, store_id="demo-shopify", secret=shop_secret, event_id=f"demo-{stamp}")
    n.send("Shopify orders/create (real 2024-04 fixture, paid)", first)
    woo = woocommerce_order(200_000 + stamp, skus={"Bar3": 1, "WOO-SINGLE": 2})
    n.send(
        "WooCommerce order.created (2 lines)",
        woocommerce_delivery(woo, store_id="demo-woo", secret=woo_secret),
    )
    n.send("Shopify orders/create again: a retry, same X-Shopify-Event-Id", first)
    # Ask for more than the stack has (the banner's sample order, or an earlier demo, may have
    # taken some): the order is held out_of_stock whatever ran before.
    _, stock = target.call("GET", "/stock/IPOD2008BLACK")
    have = int(stock.get("available", 0)) if isinstance(stock, dict) else 0
    scarce = shopify_order(2_000_000 + stamp, skus={"IPOD2008BLACK": have + 2})
    n.send(
        f"Shopify order for {have + 2} x IPOD2008BLACK ({have} available)",
        shopify_delivery(scarce, store_id="demo-shopify", secret=shop_secret),
    )
    pending = shopify_order(
        3_000_000 + stamp,
        skus={"IPOD2008GREEN": 1},
        financial_status="pending",
        updated_at="2026-01-01T10:00:00Z",
    )
    n.send(
        "Shopify order awaiting payment",
        shopify_delivery(pending, store_id="demo-shopify", secret=shop_secret),
    )
    raw = fixture("woocommerce/order.json")
    raw["id"] = 300_000 + stamp
    n.send(
        "WooCommerce fixture as published (first line has no SKU)",
        woocommerce_delivery(raw, store_id="demo-woo", secret=woo_secret),
    )

    n.follow(f"demo-shopify.{recent['id']}", {"confirmed", "on_hold"})
    n.follow(f"demo-woo.{woo['id']}", {"confirmed", "on_hold"})
    n.follow(f"demo-shopify.{scarce['id']}", {"on_hold", "confirmed"})
    n.follow(f"demo-woo.{raw['id']}", {"on_hold", "confirmed"})
    n.follow(f"demo-shopify.{pending['id']}", {"awaiting_payment"})
    _restock(n, target, f"demo-shopify.{scarce['id']}", missing=2)
    paid = shopify_order(3_000_000 + stamp, skus={"IPOD2008GREEN": 1}, updated_at="2026-01-01T10:20:00Z")
    print()
    n.send(
        "... the customer pays: Shopify orders/paid",
        shopify_delivery(paid, store_id="demo-shopify", secret=shop_secret, topic="orders/paid"),
    )
    n.follow(f"demo-shopify.{pending['id']}", {"confirmed"})

    _, listing = target.call("GET", "/orders?store=demo-shopify&limit=100")
    duplicates = sum(1 for o in listing.get("orders", []) if o["order_id"] == f"demo-shopify.{recent['id']}")
    print(
        f"\n  The retried webhook made {duplicates} order"
        " (deduplicated on X-Shopify-Event-Id and on the order's version)."
    )
    _fulfil(n, target, auto=f"demo-shopify.{recent['id']}", staff=f"demo-woo.{woo['id']}")
    later = woocommerce_order(400_000 + stamp, skus={"Bar3": 1, "WOO-SINGLE": 2})
    n.send(
        "WooCommerce order.created (to act on after it is placed)",
        woocommerce_delivery(later, store_id="demo-woo", secret=woo_secret),
    )
    _after_sale(n, target, f"demo-woo.{later['id']}", stamp)
    _self_service_return(n, target, stamp)
    _in_sync(n, target, stamp)
    _sent(n, target, before)
    return 0


def _restock(n: Narrator, target: Target, held: str, *, missing: int) -> None:
    """Count in what the held order lacks: the backorder release retries it, nobody else acts."""
    _, level = target.call("GET", "/stock/IPOD2008BLACK")
    east = next((loc for loc in level.get("locations", []) if loc["location"] == "wh-east"), None)
    on_hand = (east["on_hand"] if east else 0) + missing
    body = json.dumps({"locations": [{"location": "wh-east", "on_hand": on_hand}]}).encode()
    code, _ = target.call("PUT", "/stock/IPOD2008BLACK", body=body)
    print(
        f"\n  {n.c(BOLD, '->')} {missing} more IPOD2008BLACK counted in at wh-east"
        f" (PUT /stock/IPOD2008BLACK, on hand {on_hand}): {code}"
    )
    print("     the order held out of stock is released by itself (oldest held order first):")
    n.follow(held, {"confirmed", "fulfilling", "shipped", "delivered", "completed"})


def _fulfil(n: Narrator, target: Target, *, auto: str, staff: str) -> None:
    print(n.c(BOLD, "\nFulfilment"))
    print(
        "\n  demo-shopify auto-fulfils with the sandbox carrier: allocation, label and hand-over need"
        "\n  no staff; the scheduled tracking poller then follows the parcel (one virtual hour of"
        "\n  schedules per second at the default x3600), and the daily completer closes the order"
        "\n  once its return window (0 days for the demo store) has passed. Entries made by the"
        "\n  schedules carry their virtual time; the sandbox's scans are an hour apart from shipping."
    )
    n.follow(auto, {"completed"}, timeout=90)
    for shipment in n.shipments(auto):
        n.show_shipment(shipment)

    print("\n  demo-woo is fulfilled by staff through the fulfilment API:")
    n.follow(staff, {"fulfilling"}, timeout=30)
    for shipment in n.shipments(staff):
        sid = shipment["shipment_id"]
        _, pick = target.call("GET", f"/shipments/{sid}/pick-list")
        bins = ", ".join(f"{line['quantity']} x {line['sku']}" for line in (pick or {}).get("lines", []))
        print(f"  {n.c(BOLD, '->')} pick list {sid}: {bins}")
        for action, path, body in (
            ("pack", f"/shipments/{sid}/pack", None),
            ("buy the cheapest label", f"/shipments/{sid}/label", b"{}"),
            ("hand to the carrier", f"/shipments/{sid}/ship", None),
        ):
            code, reply = target.call("POST", path, body=body)
            label = reply.get("label") if code < 300 and path.endswith("/label") else None
            if label:
                outcome = f"{label['carrier']} {label['service']} {label['tracking_number']}"
            else:
                outcome = reply.get("status") if code < 300 else reply.get("code")
            print(f"  {n.c(BOLD, '->')} {action:<40} {code} {outcome}")
    n.follow(staff, {"delivered", "completed"}, timeout=60)
    for shipment in n.shipments(staff):
        n.show_shipment(shipment)


def _post(
    n: Narrator, target: Target, what: str, path: str, body: dict[str, Any], key: str
) -> dict[str, Any]:
    headers = {"content-type": "application/json", "idempotency-key": key}
    code, reply = target.call("POST", path, body=json.dumps(body).encode(), headers=headers)
    outcome = reply.get("code") if code >= 400 else ""
    print(f"  {n.c(BOLD, '->')} {what:<58} {code} {outcome}".rstrip())
    return reply if isinstance(reply, dict) else {}


def _on_hand(target: Target, sku: str, location: str) -> int:
    _, level = target.call("GET", f"/stock/{sku}")
    return next((x["on_hand"] for x in level.get("locations", []) if x["location"] == location), 0)


def _after_sale(n: Narrator, target: Target, order_id: str, stamp: int) -> None:
    """Staff act on an order after it was placed: edit it, cancel a unit with its refund, and,
    once it has shipped, refund a unit that came back, putting it on the shelf again."""
    print(n.c(BOLD, "\nAfter the sale"))
    n.follow(order_id, {"fulfilling"}, timeout=30)
    _, order = target.call("GET", f"/orders/{order_id}")
    line = {x["sku"]: x["line_id"] for x in order.get("lines", [])}
    edited = _post(
        n,
        target,
        "edit: add 1 x IPOD2008GREEN at 199.00 (POST .../edits)",
        f"/orders/{order_id}/edits",
        {"add": [{"sku": "IPOD2008GREEN", "quantity": 1, "unit_price": "199.00"}]},
        f"demo-edit-{stamp}",
    )
    if edited.get("edit"):
        worth = edited["edit"]["difference"]["amount"]
        print(f"     reserved at once, allocated by the fulfilment step; the order is worth {worth} more")
    cancelled = _post(
        n,
        target,
        "cancel 1 x WOO-SINGLE and refund it (POST .../cancel)",
        f"/orders/{order_id}/cancel",
        {
            "reason": "customer",
            "lines": [{"line_id": line.get("WOO-SINGLE", ""), "quantity": 1}],
            "refund": True,
        },
        f"demo-cancel-{stamp}",
    )
    refund = cancelled.get("refund") or {}
    if refund:
        print(
            f"     its reservation released, its pending shipment shrunk; refund {refund['total']['amount']}"
            f" {refund['total']['currency']} recorded as {refund['status']} (no WooCommerce API keys here)"
        )
    time.sleep(1)
    for shipment in n.shipments(order_id):
        if shipment["status"] == "pending":
            target.call("POST", f"/shipments/{shipment['shipment_id']}/ship")
    before = _on_hand(target, "Bar3", "wh-west")
    _post(
        n,
        target,
        "after shipping: refund 1 x Bar3 that came back, restocked",
        f"/orders/{order_id}/refunds",
        {"lines": [{"line_id": line.get("Bar3", ""), "quantity": 1, "restock": True}], "reason": "returned"},
        f"demo-refund-{stamp}",
    )
    print(f"     Bar3 on hand at wh-west: {before} -> {_on_hand(target, 'Bar3', 'wh-west')}")
    _, refunds = target.call("GET", f"/orders/{order_id}/refunds")
    back, paid = refunds.get("refunded", {}).get("amount"), refunds.get("captured", {}).get("amount")
    print(f"     refunded {back} of {paid} captured (GET .../refunds)")
    n.follow(order_id, {"partially_refunded", "refunded", "shipped"}, timeout=30)


def _self_service_return(n: Narrator, target: Target, stamp: int) -> None:
    """A customer returns a delivered order on the public returns page, alone: found by its number
    and email, approved at once with a label, followed back by the carrier's scans; the warehouse
    counts it in and the refund follows (the store's policy: on receipt)."""
    print(n.c(BOLD, "\nA self-service return (the public page at /returns/start)"))
    reference = f"DEMO-RET-{stamp}"
    order = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": "USD",
        "customer": {"email": "ada@example.com", "first_name": "Ada"},
        "shipping_address": {
            "name": "Ada L.",
            "line1": "1 Main St",
            "city": "Boston",
            "postal_code": "02110",
            "country_code": "US",
        },
        "lines": [
            {"sku": "IPOD2008GREEN", "name": "iPod Nano - 8GB green", "quantity": 1, "unit_price": "199.00"}
        ],
    }
    _post(n, target, f"a phone order {reference} (POST /orders)", "/orders", order, reference)
    order_id = f"demo-woo.{reference}"
    n.follow(order_id, {"fulfilling"}, timeout=30)
    for shipment in n.shipments(order_id):
        target.call("POST", f"/shipments/{shipment['shipment_id']}/ship")
        target.call("POST", f"/shipments/{shipment['shipment_id']}/delivered")
    n.follow(order_id, {"delivered"}, timeout=30)
    public = {"content-type": "application/json", "accept": "application/json"}
    who = {"order_number": reference, "email": "ada@example.com"}
    code, found = target.call(
        "POST", "/returns/start", body=json.dumps(who).encode(), headers=public, admin=False
    )
    lines = found.get("lines", []) if isinstance(found, dict) else []
    shown = ", ".join(f"{x['name']} (up to {x['returnable']})" for x in lines)
    print(f"  {n.c(BOLD, '->')} {'customer: order number + email (POST /returns/start)':<58} {code} {shown}")
    if code != 200 or not lines:
        return
    ask = {**who, "lines": [{"line_id": lines[0]["line_id"], "quantity": 1, "reason": "size_or_fit"}]}
    code, started = target.call(
        "POST", "/returns/start", body=json.dumps(ask).encode(), headers=public, admin=False
    )
    print(f"  {n.c(BOLD, '->')} {'customer: 1 x size_or_fit':<58} {code} {started.get('status', '')}")
    if code != 201:
        return
    return_id = started["return_id"]
    label = f"{started.get('tracking_number')}: {started.get('label_url')}"
    print(f"     approved by the store's policy at once; label {label}")
    print(f"     the customer follows it at {started.get('page_path', '')[:40]}...")

    def status() -> str:
        return str(target.call("GET", f"/returns/{return_id}")[1].get("status"))

    deadline = time.time() + 40
    while status() != "in_transit" and time.time() < deadline:
        time.sleep(0.5)
    print(f"     the tracking poller saw the parcel's first scan: return {status()}")
    before = _on_hand(target, "IPOD2008GREEN", "wh-west")
    received = _post(
        n,
        target,
        "warehouse: 1 back on the shelf (POST /returns/{id}/receive)",
        f"/returns/{return_id}/receive",
        {
            "lines": [
                {
                    "line_id": lines[0]["line_id"],
                    "quantity": 1,
                    "disposition": "restock",
                    "location_id": "wh-west",
                }
            ]
        },
        f"demo-ret-receive-{stamp}",
    )
    refunded = (received.get("refunded") or {}).get("amount")
    print(
        f"     IPOD2008GREEN on hand at wh-west: {before} -> {_on_hand(target, 'IPOD2008GREEN', 'wh-west')}"
    )
    print(f"     refunded {refunded} USD on receipt; return {received.get('status')}")


SHOWN = 8


SYNC_SHOP, SYNC_SITE = "demo-sync.myshopify.com", "https://demo-sync-woo.example.com"
SYNC_TOKEN, SYNC_KEY, SYNC_SECRET = (
    "shpat_demo_sync_token",
    "ck_demo_sync_0123456789",
    "cs_demo_sync_0123456789",
)
SYNC_STORES = (
    {
        "store_id": "demo-sync-shopify",
        "channel": "shopify",
        "name": "Demo synced Shopify shop",
        "webhook_secret": "demo-sync-shopify-webhook-secret",
        "shop_domain": SYNC_SHOP,
        "api_credentials": {"access_token": SYNC_TOKEN},
        "settings": {
            "inventory_sync": True,
            "push_fulfilment_to_channel": False,
            "location_priority": ["wh-west"],
        },
    },
    {
        "store_id": "demo-sync-woo",
        "channel": "woocommerce",
        "name": "Demo synced WooCommerce shop",
        "webhook_secret": "demo-sync-woo-webhook-secret",
        "site_url": SYNC_SITE,
        "api_credentials": {"consumer_key": SYNC_KEY, "consumer_secret": SYNC_SECRET},
        "settings": {
            "inventory_sync": True,
            "push_fulfilment_to_channel": False,
            "location_priority": ["wh-west"],
        },
    },
)


def _emulated(target: Target, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{target.channels_url}{path}", data=data, method=method)
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _in_sync(n: Narrator, target: Target, stamp: int) -> None:
    """A WooCommerce order takes a SKU's last unit; the (emulated) Shopify store, which sells it
    too, is told it has none left by the inventory sync: nobody does anything."""
    if not target.channels_url:
        return
    print(n.c(BOLD, "\nEvery channel sees the stock we know (the stores' APIs emulated on this machine)"))
    sku = f"SYNC-MUG-{stamp}"
    _emulated(
        target, "POST", "/_emulator/shopify", {"domain": SYNC_SHOP, "access_token": SYNC_TOKEN, "skus": [sku]}
    )
    site = {"site_url": SYNC_SITE, "consumer_key": SYNC_KEY, "consumer_secret": SYNC_SECRET, "skus": [sku]}
    _emulated(target, "POST", "/_emulator/woocommerce", site)
    for store in SYNC_STORES:
        status, body = target.call("POST", "/stores", body=json.dumps(store).encode())
        if status not in (201, 409):
            print(f"  could not register {store['store_id']}: {status} {body}")
            return

    def shows(channel: str) -> Any:
        where = SYNC_SHOP if channel == "shopify" else "demo-sync-woo.example.com"
        return _emulated(target, "GET", f"/_emulator/{channel}/{where}/{sku}")["available"]

    count = {"locations": [{"location": "wh-west", "on_hand": 1}]}
    code, _ = target.call("PUT", f"/stock/{sku}", body=json.dumps(count).encode())
    print(f"  {n.c(BOLD, '->')} {f'count 1 x {sku} in at wh-west (PUT /stock)':<58} {code}")
    wait_for(lambda: shows("shopify") == 1 and shows("woocommerce") == 1, 30)
    print(f"  Shopify shows {shows('shopify')}, WooCommerce shows {shows('woocommerce')} (set by the OMS)")
    order = woocommerce_order(500_000 + stamp, skus={sku: 1})
    sent = time.time()
    n.send(
        f"WooCommerce order.created for the last {sku}",
        woocommerce_delivery(
            order, store_id="demo-sync-woo", secret=str(SYNC_STORES[1]["webhook_secret"]), site_url=SYNC_SITE
        ),
    )
    if wait_for(lambda: shows("shopify") == 0, 30):
        took = time.time() - sent
        print(f"  Shopify now shows {shows('shopify')} x {sku}, {took:.1f} s after the WooCommerce order")
    else:
        print(f"  Shopify still shows {shows('shopify')} x {sku} after 30 s")


def _outbox(target: Target) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """Every email (SES) and alert (SNS) the stack has sent so far, oldest first."""
    data = target.moto()
    emails = list(data.get("ses", {}).get("Message", []))
    alerts = [
        (topic["name"], notification)
        for topic in data.get("sns", {}).get("Topic", [])
        for notification in topic.get("sent_notifications", [])
    ]
    return emails, alerts


def _showing(kind: str, count: int) -> str:
    return f"{kind} ({count}):" if count <= SHOWN else f"{kind} (showing the last {SHOWN} of {count}):"


def _sent(n: Narrator, target: Target, before: tuple[list[dict[str, Any]], list[tuple[str, Any]]]) -> None:
    """What the demo made the stack send: everything sent since it began."""
    # The notifier works behind a queue: wait until what it sends stops changing.
    counts: list[int] = []

    def settled() -> bool:
        emails, alerts = _outbox(target)
        counts.append(len(emails) + len(alerts))
        return len(counts) >= 4 and counts[-1] > 0 and counts[-4] == counts[-1]

    wait_for(settled, 30, interval=1.0)
    emails, alerts = _outbox(target)
    emails, alerts = emails[len(before[0]) :], alerts[len(before[1]) :]
    print(n.c(BOLD, "\n" + _showing("Emails sent (SES)", len(emails))))
    for email in emails[-SHOWN:]:
        print(f"  to {', '.join(email['destinations'].get('ToAddresses', []))}: {email['subject']}")
    if not emails:
        print("  none")
    print(n.c(BOLD, "\n" + _showing("Staff alerts (SNS)", len(alerts))))
    for topic, notification in alerts[-SHOWN:]:
        print(f"  {topic}: {notification[2] or ''}  {n.c(DIM, notification[1].splitlines()[0])}")
    if not alerts:
        print("  none")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--no-colour", action="store_true")
    args = parser.parse_args(argv)
    colour = sys.stdout.isatty() and not args.no_colour
    target = _running_target()
    if target is not None:
        return run(target, colour=colour)
    print("No local stack is running: starting one for the demo (make run keeps one up).")
    from oms_local.logs import LogPrinter
    from oms_local.runner import start

    running: Running = start(port=0, time_scale=DEFAULT_TIME_SCALE, printer=LogPrinter(stream=io.StringIO()))
    try:
        target = Target(running.api_url, running.admin_token, running.moto.endpoint, running.channels.url)
        return run(target, colour=colour)
    finally:
        running.close()


if __name__ == "__main__":
    sys.exit(main())
