"""The local HTTP API under a burst: every connection a client opens is answered (API Gateway
never resets one, and Shopify counts a reset as a failed delivery)."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import Delivery, shopify_delivery, shopify_order

pytestmark = pytest.mark.e2e

BURST = 200
STORE = "burst-shop"
SECRET = "burst-shop-webhook-secret"


def send_together(local: Running, deliveries: list[Delivery]) -> list[tuple[int, Any] | str]:
    """Open every connection at the same moment; an error is kept as its repr."""
    url = urlsplit(local.api_url)
    start = threading.Barrier(len(deliveries))

    def send(delivery: Delivery) -> tuple[int, Any] | str:
        start.wait()
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        try:
            conn.request("POST", delivery.path, body=delivery.body, headers=delivery.headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        except OSError as error:
            return repr(error)
        finally:
            conn.close()

    with ThreadPoolExecutor(len(deliveries)) as pool:
        return list(pool.map(send, deliveries))


def test_two_hundred_concurrent_signed_webhooks_are_all_answered_and_each_order_recorded_once(
    local: Running,
) -> None:
    code, body = local.request(
        "POST",
        "/stores",
        {
            "store_id": STORE,
            "channel": "shopify",
            "name": "Flash sale",
            "webhook_secret": SECRET,
            "shop_domain": f"{STORE}.myshopify.com",
            "settings": {"location_priority": ["wh-east"]},
        },
    )
    assert code == 201, body
    code, body = local.request(
        "PUT", "/stock/BURST-1", {"locations": [{"location": "wh-east", "on_hand": 500}]}
    )
    assert code == 200, body
    ids = [770000 + i for i in range(BURST)]
    deliveries = [
        shopify_delivery(
            shopify_order(i, skus={"BURST-1": 1}),
            store_id=STORE,
            secret=SECRET,
            shop_domain=f"{STORE}.myshopify.com",
        )
        for i in ids
    ]

    answers = send_together(local, deliveries)

    failed = [answer for answer in answers if not isinstance(answer, tuple)]
    assert failed == [], f"{len(failed)} of {BURST} connections failed: {failed[:3]}"
    assert [answer for answer in answers if answer[0] != 202] == []

    def reserved() -> int:
        return int(local.request("GET", "/stock/BURST-1")[1]["reserved"])

    assert wait_for(lambda: reserved() == BURST, 240), reserved()
    for order_id in ids:
        code, order = local.request("GET", f"/orders/{STORE}.{order_id}")
        assert code == 200, order
        assert [e["to_status"] for e in order["timeline"]].count("placed") == 1
    # The same burst again (Shopify retrying what it thought had failed) changes nothing.
    again = send_together(local, deliveries[:50])
    assert {answer[0] if isinstance(answer, tuple) else answer for answer in again} == {202}
    assert wait_for(lambda: local.cloud.queue_depth("IntakeQueue") == 0, 120)
    stock = local.request("GET", "/stock/BURST-1")[1]
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (500, BURST, 500 - BURST)

    # Let the stack finish what the burst started (allocation, emails) before the next test uses it.
    def settled() -> bool:
        _, page = local.request("GET", f"/orders?store={STORE}&status=fulfilling&limit=200")
        queues = ("FulfilmentQueue", "NotificationsQueue", "IntakeQueue")
        return len(page["orders"]) == BURST and all(local.cloud.queue_depth(q) == 0 for q in queues)

    assert wait_for(settled, 300, interval=1.0)
