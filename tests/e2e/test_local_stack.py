"""End to end over real HTTP on the local stack: webhook -> queue -> intake -> confirmed ->
fulfilment -> shipped -> scheduled tracking checks -> delivered -> daily completion."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import (
    Delivery,
    fixture,
    shopify_delivery,
    woocommerce_delivery,
    woocommerce_order,
)
from oms_local.seed import SHOPIFY_STORE, WOO_STORE
from tests.e2e.conftest import Captured

pytestmark = pytest.mark.e2e


def post(local: Running, delivery: Delivery) -> tuple[int, Any]:
    return local.request("POST", delivery.path, raw=delivery.body, headers=delivery.headers, token="")


def status_of(local: Running, order_id: str) -> str | None:
    code, body = local.request("GET", f"/orders/{order_id}")
    return body.get("status") if code == 200 else None


def path_of(local: Running, order_id: str) -> list[str]:
    """The statuses the order has been in, in order."""
    code, body = local.request("GET", f"/orders/{order_id}")
    return [entry["to_status"] for entry in body["timeline"]] if code == 200 else []


def test_signed_shopify_and_woocommerce_orders_are_confirmed(local: Running) -> None:
    shopify = fixture("shopify/orders-create.json")
    shopify["financial_status"] = "paid"
    status, body = post(
        local, shopify_delivery(shopify, store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"]))
    )
    assert (status, body["status"]) == (202, "accepted")
    woo = woocommerce_order(4242, skus={"Bar3": 1, "WOO-SINGLE": 2})
    status, body = post(
        local, woocommerce_delivery(woo, store_id="demo-woo", secret=str(WOO_STORE["webhook_secret"]))
    )
    assert status == 202
    # demo-woo fulfils by hand: its confirmed order is allocated and waits for staff.
    assert wait_for(lambda: status_of(local, "demo-woo.4242") == "fulfilling", 30)
    assert path_of(local, "demo-woo.4242") == ["placed", "confirmed", "fulfilling"]
    code, order = local.request("GET", "/orders/demo-woo.4242")
    assert code == 200
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("Bar3", 1), ("WOO-SINGLE", 2)]
    code, stock = local.request("GET", "/stock/WOO-SINGLE")
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (30, 2, 28)
    # demo-shopify auto-fulfils with the sandbox carrier: confirmed became shipped with no staff.
    assert wait_for(lambda: "shipped" in path_of(local, "demo-shopify.450789469"), 30)
    assert path_of(local, "demo-shopify.450789469")[:4] == ["placed", "confirmed", "fulfilling", "shipped"]


def test_a_shopify_order_is_tracked_to_delivered_and_completed_by_the_schedules(local: Running) -> None:
    """The tracking poller's schedule checks the parcel until the sandbox carrier delivers it
    (delivered:3), and the daily completer closes the order (return window 0 days)."""
    payload = fixture("shopify/orders-create-recent.json")
    payload.update(id=880001, financial_status="paid")
    delivery = shopify_delivery(payload, store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"]))
    assert post(local, delivery)[0] == 202
    order_id = "demo-shopify.880001"
    assert wait_for(lambda: status_of(local, order_id) == "completed", 75, interval=0.5)
    assert path_of(local, order_id) == [
        "placed",
        "confirmed",
        "fulfilling",
        "shipped",
        "delivered",
        "completed",
    ]
    code, body = local.request("GET", f"/orders/{order_id}/shipments")
    assert code == 200
    (shipment,) = body["shipments"]
    assert shipment["status"] == "delivered"
    assert [e["status"] for e in shipment["tracking"]["events"]] == [
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert shipment["label"]["tracking_number"].startswith("SBXD03")


def test_staff_ship_a_woocommerce_order_and_its_stock_is_committed(local: Running) -> None:
    woo = woocommerce_order(4343, skus={"WOO-SINGLE": 3})
    secret = str(WOO_STORE["webhook_secret"])
    assert post(local, woocommerce_delivery(woo, store_id="demo-woo", secret=secret))[0] == 202
    assert wait_for(lambda: status_of(local, "demo-woo.4343") == "fulfilling", 30)
    _, before = local.request("GET", "/stock/WOO-SINGLE")
    _, body = local.request("GET", "/orders/demo-woo.4343/shipments")
    (shipment,) = body["shipments"]
    sid = shipment["shipment_id"]
    assert local.request("POST", f"/shipments/{sid}/pack")[0] == 200
    code, labelled = local.request("POST", f"/shipments/{sid}/label", {"service": "express"})
    assert (code, labelled["label"]["service"]) == (201, "express")
    code, shipped = local.request("POST", f"/shipments/{sid}/ship")
    assert (code, shipped["status"]) == (200, "shipped")
    assert status_of(local, "demo-woo.4343") == "shipped"
    _, after = local.request("GET", "/stock/WOO-SINGLE")
    assert (after["on_hand"], after["reserved"]) == (before["on_hand"] - 3, before["reserved"] - 3)
    # Shipping again (a retried click) answers with the shipment as it is and moves no stock.
    code, again_shipped = local.request("POST", f"/shipments/{sid}/ship")
    assert (code, again_shipped["shipped_at"]) == (200, shipped["shipped_at"])
    _, again = local.request("GET", "/stock/WOO-SINGLE")
    assert (again["on_hand"], again["reserved"]) == (after["on_hand"], after["reserved"])
    assert wait_for(lambda: status_of(local, "demo-woo.4343") == "delivered", 45, interval=0.5)


def test_a_forged_signature_gets_401_and_queues_nothing(local: Running) -> None:
    sqs = local.client("sqs")
    url = local.cloud.ref("IntakeQueue")
    before = int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )
    forged = shopify_delivery(
        fixture("shopify/orders-create-recent.json"),
        store_id="demo-shopify",
        secret="not-the-stores-secret-at-all",
    )
    status, body = post(local, forged)
    assert (status, body["code"]) == (401, "invalid_signature")
    after = int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )
    assert after == before
    assert status_of(local, "demo-shopify.1073459981") is None


def test_admin_routes_need_a_valid_token(local: Running) -> None:
    assert local.request("GET", "/orders", token="")[0] == 401
    assert local.request("GET", "/orders")[0] == 200
    authorizer = local.authorizer
    assert authorizer is not None
    expired = local.issuer.token(authorizer, now=time.time() - 7200, ttl=3600)
    assert local.request("GET", "/orders", token=expired)[0] == 401
    other_audience = local.issuer.token(authorizer, audience="some-other-client")
    assert local.request("GET", "/orders", token=other_audience)[0] == 401
    other_issuer = local.issuer.token(authorizer, issuer="https://evil.example.com")
    assert local.request("GET", "/orders", token=other_issuer)[0] == 401


def test_a_poison_message_reaches_the_dlq_after_max_receive_count_and_its_batch_commits(
    local: Running, logs: Captured
) -> None:
    sqs = local.client("sqs")
    url, dlq = local.cloud.ref("IntakeQueue"), local.cloud.ref("IntakeDLQ")
    attrs = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in {
            "channel": "shopify",
            "store_id": "demo-shopify",
            "topic": "orders/create",
            "event_id": "poison",
            "received_at": "2026-11-22T00:00:00Z",
        }.items()
    }
    good = fixture("shopify/orders-create-recent.json")
    good.update(id=777001, financial_status="paid")
    sent = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": "poison",
                "MessageBody": "{this is not json",
                "MessageGroupId": "demo-shopify.poison",
                "MessageDeduplicationId": "poison-1",
                "MessageAttributes": attrs,
            },
            {
                "Id": "good",
                "MessageBody": json.dumps(good),
                "MessageGroupId": "demo-shopify.777001",
                "MessageDeduplicationId": "good-1",
                "MessageAttributes": {**attrs, "event_id": {"DataType": "String", "StringValue": "good"}},
            },
        ],
    )
    poison_id = next(s["MessageId"] for s in sent["Successful"] if s["Id"] == "poison")
    assert wait_for(lambda: "confirmed" in path_of(local, "demo-shopify.777001"), 30)

    def in_dlq() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) == 1

    assert wait_for(in_dlq, 45, interval=0.5)
    failures = [line for _, line in logs.lines if "intake message failed" in line and poison_id in line]
    max_receive = json.loads(
        json.dumps(
            local.cloud.stack.resolve(
                local.cloud.stack.resources["IntakeQueue"]["Properties"]["RedrivePolicy"]
            )
        )
    )["maxReceiveCount"]
    assert len(failures) == int(max_receive) == 5
    message = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"][0]
    assert message["Body"] == "{this is not json"
    # The DLQ's alarm watches exactly the figure that moved: the queue's visible messages, above 0.
    cloudwatch = local.client("cloudwatch")
    dlq_name = dlq.rsplit("/", 1)[-1]
    (alarm,) = [
        a
        for a in cloudwatch.describe_alarms()["MetricAlarms"]
        if {"Name": "QueueName", "Value": dlq_name} in a["Dimensions"]
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [local.cloud.ref("AlertsTopic")]
    assert alarm["Threshold"] == 0  # in_dlq() saw 1 visible message: above it, the alarm fires
