"""A crash at every AWS call of a customer's erasure that Shopify asks for (its customers/redact
compliance webhook, the privacy function) ends where the uncrashed run ends: the customer's order
redacted once, with its shipment, nothing of them left in any item of the table, the request
done. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from oms.webhooks import sign
from oms_local.samples import Delivery, shopify_body, shopify_order
from tests.integration.test_privacy import items_mentioning, set_values
from tests.reliability.test_crash_after_sale import converge
from tests.reliability.test_crash_every_step import SECRET, STORE, World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

PATH = ("WebhookFunction", "PrivacyFunction")


def erasure_life(world: World) -> tuple[dict[str, Any], list[Any]]:
    """An order of a customer of their own, shipped; then Shopify asks for them to be erased (and
    retries its webhook until it gets a 2xx); everything runs until the request is done."""
    world.n += 1
    stack, n = world.stack, 66_000 + world.n
    email = f"erase-me-{n}@example.com"
    order_id = f"{STORE}.{n}"
    with world.paused():
        sku = stack.new_sku("CRASH-PRIV", wh_east=5)
        payload = shopify_order(n, skus={sku: 1})
        payload["email"] = payload["customer"]["email"] = email
        payload["customer"]["id"] = 5_000_000 + n
        world.deliver(payload, STORE, "orders/create", f"crash-priv-{n}")
        world.drain_until(order_id, "shipped")
    body = shopify_body(
        {
            "shop_id": 954889,
            "shop_domain": f"{STORE}.myshopify.com",
            "customer": {"id": 5_000_000 + n, "email": email, "phone": "555-625-1199"},
            "orders_to_redact": [n],
        }
    )
    delivery = Delivery(
        "shopify",
        STORE,
        {
            "content-type": "application/json",
            "x-shopify-topic": "customers/redact",
            "x-shopify-hmac-sha256": sign(SECRET, body),
            "x-shopify-shop-domain": f"{STORE}.myshopify.com",
            "x-shopify-event-id": f"crash-redact-{n}",
        },
        body,
    )
    first = len(world.recorder.calls)
    with world.recorder.recording():
        for _ in range(3):
            if stack.send(delivery)[0] == 202:
                break
        for _ in range(6):
            stack.cloud.drain()
    calls = world.recorder.calls[first:]
    with world.paused():
        order = stack.order(order_id)
        record = stack.api("GET", f"/privacy/requests/shopify-crash-redact-{n}")[1]
        kinds = Counter(
            e["detail-type"] for e in stack.events.all() if e["detail"].get("order_id") == order_id
        )
        state = {
            "customer": set_values(order["customer"]),
            "redacted": order["redacted_at"] is not None,
            "left": items_mentioning(stack, email),
            "record": (record.get("status"), record.get("orders")),
            "redacted_events": kinds["OrderRedacted"],
            "dlq": stack.queue_depth("PrivacyDLQ"),
        }
    return state, calls


def test_a_crash_at_any_call_of_an_erasure_redacts_the_customer_once_and_leaves_nothing_of_them(
    world: World,
) -> None:
    baseline, _ = erasure_life(world)
    assert baseline == {
        "customer": {},
        "redacted": True,
        "left": [],
        "record": ("done", 1),
        "redacted_events": 1,
        "dlq": 0,
    }
    converged, per_function = converge(world, lambda: erasure_life(world), PATH)
    print(f"{converged} crash points of an erasure converged: {per_function}")
