"""Outbound webhooks on the template's functions (oms.outbound_webhooks): a subscription made
through the admin API (its secret shown once), the events it asked for delivered signed to it (a
recording endpoint stands in for the subscriber), its health kept, a subscriber that keeps failing
dead-lettered with one alert, the archive replayed to it alone, and URLs that would reach anything
private refused."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from oms.outbound_webhooks import DELIVERY_ATTEMPTS, verify
from oms_local.samples import shopify_delivery, shopify_order
from tests.stack import Stack, redelivered

STORE, SECRET = "hooks-shop", "hooks-shop-webhook-secret"
URL = "https://erp.example.com/oms/events"


@dataclass
class Receiver:
    """The subscriber's endpoint: what it was sent, and the status it answers."""

    status: int = 200
    got: list[dict[str, Any]] = field(default_factory=list)

    def post(self, url: str, *, headers: dict[str, str], body: bytes, timeout: float) -> int:
        self.got.append({"url": url, "headers": headers, "body": body})
        return self.status

    def events(self, secret: str) -> list[dict[str, Any]]:
        out = []
        for sent in self.got:
            assert verify(secret, sent["headers"]["x-oms-signature"], sent["body"], int(time.time()))
            payload = json.loads(sent["body"])
            assert sent["headers"]["x-oms-event-id"] == payload["id"]
            out.append(payload)
        return out


def subscribe(stack: Stack, events: list[str]) -> dict[str, Any]:
    status, body = stack.api("POST", "/subscriptions", {"url": URL, "events": events, "description": "ERP"})
    assert status == 201, body
    return dict(body)


def place(stack: Stack, n: int) -> str:
    sku = stack.new_sku("HOOK", wh_east=5)
    delivery = shopify_delivery(
        shopify_order(n, skus={sku: 1}), store_id=STORE, secret=SECRET, shop_domain=f"{STORE}.myshopify.com"
    )
    assert stack.deliver(delivery)[0] == 202
    return f"{STORE}.{n}"


@pytest.fixture
def hooked(full_shop: Stack) -> tuple[Stack, Receiver]:
    status, body = full_shop.api(
        "POST",
        "/stores",
        {
            "store_id": STORE,
            "channel": "shopify",
            "name": "Hooks shop",
            "webhook_secret": SECRET,
            "shop_domain": f"{STORE}.myshopify.com",
            "settings": {"location_priority": ["wh-east"], "auto_fulfil": True},
        },
    )
    assert status == 201, body
    receiver = Receiver()
    full_shop.cloud.invoker.load("OutboundDeliveryFunction").transport = receiver  # type: ignore[attr-defined]
    return full_shop, receiver


def test_the_events_a_subscription_asked_for_are_delivered_to_it_signed_and_its_health_kept(
    hooked: tuple[Stack, Receiver],
) -> None:
    stack, receiver = hooked
    made = subscribe(stack, ["OrderConfirmed", "ShipmentShipped"])
    secret = made["secret"]
    assert secret.startswith("whsec_")
    status, shown = stack.api("GET", f"/subscriptions/{made['subscription_id']}")
    assert status == 200
    assert "secret" not in shown
    assert shown["health"]["delivered"] == 0

    order_id = place(stack, 91_001)
    events = receiver.events(secret)
    mine = [e for e in events if e["data"].get("order_id") == order_id]
    assert sorted(e["type"] for e in mine) == ["OrderConfirmed", "ShipmentShipped"]
    assert {e["type"] for e in events} <= {"OrderConfirmed", "ShipmentShipped"}
    assert len({e["id"] for e in events}) == len(events)
    assert all(sent["url"] == URL for sent in receiver.got)
    assert "event_id" not in mine[0]["data"]  # the id is the envelope's
    status, shown = stack.api("GET", f"/subscriptions/{made['subscription_id']}")
    health = shown["health"]
    assert (health["delivered"], health["failed_attempts"], health["last_status"]) == (
        len(events),
        0,
        "delivered",
    )
    assert stack.queue_depth("DeliveryQueue") == 0

    # Unsubscribed: nothing more is sent to it.
    status, _ = stack.api("DELETE", f"/subscriptions/{made['subscription_id']}")
    assert status == 200
    before = len(receiver.got)
    stack.cloud.invoker.load("OutboundDispatchFunction").service.subscriptions._all = None  # type: ignore[attr-defined]
    place(stack, 91_002)
    assert len(receiver.got) == before
    assert stack.api("GET", f"/subscriptions/{made['subscription_id']}")[0] == 404


def test_a_subscriber_that_keeps_failing_is_retried_then_dead_lettered_with_one_alert(
    hooked: tuple[Stack, Receiver],
) -> None:
    stack, receiver = hooked
    made = subscribe(stack, ["OrderConfirmed"])
    receiver.status = 503
    stack.cloud.pause("OutboundDeliveryFunction")
    place(stack, 92_001)
    sqs, url = stack.cloud.clients["sqs"], stack.cloud.ref("DeliveryQueue")
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    event = redelivered({})
    event["Records"][0]["body"] = message["Body"]
    for attempt in (1, 2, DELIVERY_ATTEMPTS):
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(attempt)
        result = stack.cloud.invoker.invoke("OutboundDeliveryFunction", event)
        assert result.ok, result
        assert result.value["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    health = stack.api("GET", f"/subscriptions/{made['subscription_id']}")[1]["health"]
    assert (
        health["failed_attempts"],
        health["dead_lettered"],
        health["last_status"],
        health["last_code"],
    ) == (
        3,
        1,
        "dead",
        "503",
    )
    # Another dead letter soon after: staff were told already.
    stack.cloud.invoker.invoke("OutboundDeliveryFunction", event)
    alerts = [
        " ".join(str(part) for part in n)
        for topic in stack.cloud.sns_messages()
        for n in topic["sent_notifications"]
        if made["subscription_id"] in " ".join(str(part) for part in n)
    ]
    assert len(alerts) == 1
    assert "/replay" in alerts[0]


def test_a_replay_sends_one_subscription_the_archived_events_of_its_window_and_no_one_else(
    hooked: tuple[Stack, Receiver],
) -> None:
    stack, receiver = hooked
    other = subscribe(stack, ["OrderConfirmed"])
    order_id = place(stack, 93_001)
    late = subscribe(stack, ["OrderConfirmed"])  # subscribed after the order: it missed it
    receiver.got.clear()
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    status, started = stack.api("POST", f"/subscriptions/{late['subscription_id']}/replay", {"since": since})
    assert status == 202, started
    assert started["status"] == "started"
    stack.cloud.drain()
    now = int(time.time())
    replayed = [
        sent
        for sent in receiver.got
        if json.loads(sent["body"])["type"] == "OrderConfirmed"
        and json.loads(sent["body"])["data"]["order_id"] == order_id
    ]
    # To the late subscription only (signed with its secret), once; not again to the other.
    assert len(replayed) == 1
    assert verify(late["secret"], replayed[0]["headers"]["x-oms-signature"], replayed[0]["body"], now)
    assert not any(
        verify(other["secret"], s["headers"]["x-oms-signature"], s["body"], now) for s in receiver.got
    )

    status, body = stack.api(
        "POST", f"/subscriptions/{late['subscription_id']}/replay", {"since": "2020-01-01T00:00:00Z"}
    )
    assert (status, body["code"]) == (400, "invalid_window")
    status, body = stack.api("POST", "/subscriptions/sub_00000000000000000000/replay", {"since": since})
    assert (status, body["code"]) == (404, "subscription_not_found")


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hooks",
        "https://10.0.0.7/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1:8443/",
        "https://[::1]/",
        "https://[::ffff:192.168.1.1]/",
        "https://localhost/hooks",
        "https://erp.internal/hooks",
        "https://user:pass@erp.example.com/hooks",
    ],
)
def test_a_url_that_could_reach_anything_private_is_refused(full_shop: Stack, url: str) -> None:
    status, body = full_shop.api("POST", "/subscriptions", {"url": url, "events": ["*"]})
    assert (status, body["code"]) == (400, "url_refused"), body
    status, page = full_shop.api("GET", "/subscriptions")
    assert page["subscriptions"] == []


def test_unknown_event_types_are_refused_by_name(full_shop: Stack) -> None:
    status, body = full_shop.api(
        "POST", "/subscriptions", {"url": URL, "events": ["OrderConfirmed", "OrderTeleported"]}
    )
    assert (status, body["code"]) == (422, "validation_error")
    assert "OrderTeleported" in body["message"]
