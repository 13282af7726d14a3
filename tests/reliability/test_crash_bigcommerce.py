"""A crash at every AWS call of a BigCommerce order's intake (the webhook, the intake that reads the
order from BigCommerce's API) and of a refund made on BigCommerce ends where the uncrashed run
ends: the order recorded and confirmed once, its stock reserved once; the refund's money given
back on BigCommerce once, also when the crash comes after BigCommerce made it and before we
recorded it. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from typing import Any

import pytest

from oms.integrations.http_transport import HttpResponse
from oms_local.samples import bigcommerce_delivery, fixture
from tests.reliability.test_crash_after_sale import CHANNEL_PATH, converge, send, state
from tests.reliability.test_crash_every_step import World
from tests.reliability.test_crash_every_step import world as world
from tests.replay import recorded

pytestmark = pytest.mark.reliability

STORE, HASH, TOKEN = "crash-bc", "crashbc01", "bc_crash_api_token_0123456789"
INTAKE_PATH = ("WebhookFunction", "IntakeFunction")


class BigCommerceApi:
    """BigCommerce's API as its documentation shows it, for one store: each order is the documented
    order 250 under its own id with one line of its own SKU; refunds are listed, quoted and made
    (remembered, so a second refund would show)."""

    def __init__(self) -> None:
        answers = {e["name"]: e["response"]["json"] for e in recorded("bigcommerce-order")["exchanges"]}
        self.documented = answers
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.reads: Counter[str] = Counter()

    def place(self, n: int, sku: str) -> None:
        order = copy.deepcopy(self.documented["Order"])
        order["id"] = n
        product = copy.deepcopy(self.documented["OrderProducts"][0])
        product.update(id=n * 10, order_id=n, sku=sku, quantity=2)
        self.orders[n] = {
            "order": order,
            "products": [product],
            "shipping_addresses": copy.deepcopy(self.documented["OrderShippingAddresses"]),
        }

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert headers["x-auth-token"] == TOKEN
        path = url.removeprefix(f"https://api.bigcommerce.com/stores/{HASH}/").split("?")[0]
        self.reads[f"{method} {re.sub(r'[0-9]+', 'N', path)}"] += 1
        found = re.fullmatch(r"v2/orders/(\d+)(?:/(products|shipping_addresses))?", path)
        if found and method == "GET":
            held = self.orders[int(found.group(1))]
            return _json(200, held[found.group(2) or "order"])
        found = re.fullmatch(r"v3/orders/(\d+)/payment_actions/(refunds|refund_quotes)", path)
        assert found, url
        made = self.refunds.setdefault(int(found.group(1)), [])
        if method == "GET":
            return _json(200, {"data": made, "meta": {}})
        sent = json.loads(body or b"{}")
        amount = sum(float(item["amount"]) for item in sent["items"])
        if found.group(2) == "refund_quotes":
            way = [
                {"provider_id": "testgateway", "amount": amount, "offline": False, "offline_provider": False}
            ]
            return _json(201, {"data": {"total_refund_amount": amount, "refund_methods": [way]}, "meta": {}})
        refund = {
            "id": 900 + len(made),
            "reason": sent["reason"],
            "total_amount": amount,
            "items": sent["items"],
        }
        made.append(refund)
        return _json(201, {"data": refund, "meta": {}})


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode())


def register(world: World, api: BigCommerceApi) -> str:
    with world.paused():
        store = {
            "store_id": STORE,
            "channel": "bigcommerce",
            "name": "Crash BigCommerce",
            "store_hash": HASH,
            "api_credentials": {"access_token": TOKEN},
            "settings": {"location_priority": ["wh-east"], "push_fulfilment_to_channel": False},
        }
        status, body = world.stack.api("POST", "/stores", store)
        assert status == 201, body
    invoker = world.stack.cloud.invoker
    invoker.load("IntakeFunction").transport = api  # type: ignore[attr-defined]
    invoker.load("ChannelSyncFunction").service.transport = api  # type: ignore[attr-defined]
    return str(body["webhook_secret"])


def intake_life(world: World, api: BigCommerceApi, secret: str) -> tuple[dict[str, Any], list[Any]]:
    """BigCommerce calls back with an order's id (retrying until it gets a 2xx); everything runs
    until the order is allocated."""
    world.n += 1
    stack, n = world.stack, 61_000 + world.n
    with world.paused():
        sku = stack.new_sku("CRASH-BC", wh_east=5)
        stack.cloud.drain()
    api.place(n, sku)
    callback = fixture("bigcommerce/store-order-created.json")
    callback["data"]["id"] = n
    delivery = bigcommerce_delivery(callback, store_id=STORE, secret=secret, store_hash=HASH)
    order_id = f"{STORE}.{n}"
    first = len(world.recorder.calls)
    with world.recorder.recording():
        for _ in range(3):
            if stack.send(delivery)[0] == 202:
                break
        world.drain_until(order_id, "fulfilling")
    calls = world.recorder.calls[first:]
    with world.paused():
        order = stack.order(order_id)
        kinds = Counter(
            e["detail-type"] for e in stack.events.all() if e["detail"].get("order_id") == order_id
        )
        level = stack.stock(sku)
        result = {
            "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
            "events": dict(sorted(kinds.items())),
            "stock": (level["on_hand"], level["reserved"]),
            "dlq": stack.queue_depth("IntakeDLQ"),
        }
    return result, calls


@pytest.fixture(scope="module")
def bigcommerce(world: World) -> tuple[BigCommerceApi, str]:
    """The store registered once for the module, with its API answering; its generated secret."""
    api = BigCommerceApi()
    return api, register(world, api)


def test_a_crash_at_any_call_of_a_bigcommerce_orders_intake_records_and_confirms_it_once(
    world: World, bigcommerce: tuple[BigCommerceApi, str]
) -> None:
    api, secret = bigcommerce
    baseline, _ = intake_life(world, api, secret)
    assert baseline["events"]["OrderConfirmed"] == 1
    assert baseline["stock"] == (5, 2)
    assert baseline["dlq"] == 0
    converged, per_function = converge(world, lambda: intake_life(world, api, secret), INTAKE_PATH)
    print(f"{converged} crash points of a BigCommerce intake converged: {per_function}")


def refund_life(world: World, api: BigCommerceApi, secret: str) -> tuple[dict[str, Any], list[Any]]:
    """A goodwill refund on a BigCommerce order, made through its payment actions."""
    with world.paused():
        _, _ = intake_life(world, api, secret)
    n = 61_000 + world.n
    order_id = f"{STORE}.{n}"
    first = len(world.recorder.calls)
    with world.recorder.recording():
        send(
            world, f"/orders/{order_id}/refunds", {"amount": "5.00", "reason": "late"}, f"bc-refund-{n}", 201
        )
        for _ in range(6):
            world.stack.cloud.drain()
    with world.paused():
        sku = world.stack.order(order_id)["lines"][0]["sku"]
    result = state(world, order_id, [sku])
    result["made_on_channel"] = [r["total_amount"] for r in api.refunds.get(n, [])]
    return result, world.recorder.calls[first:]


def test_a_crash_at_any_call_of_a_bigcommerce_refund_gives_the_money_back_once(
    world: World, bigcommerce: tuple[BigCommerceApi, str]
) -> None:
    api, secret = bigcommerce
    baseline, _ = refund_life(world, api, secret)
    assert baseline["refunds"] == [("succeeded", "5.00", [])]
    assert baseline["made_on_channel"] == [5.0]
    converged, per_function = converge(world, lambda: refund_life(world, api, secret), CHANNEL_PATH)
    print(f"{converged} crash points of a BigCommerce refund converged: {per_function}")
