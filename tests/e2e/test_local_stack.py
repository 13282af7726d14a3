"""End to end over real HTTP: webhook -> queue -> intake -> confirmed, on the local stack."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
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
    assert wait_for(lambda: status_of(local, "demo-shopify.450789469") == "confirmed", 30)
    assert wait_for(lambda: status_of(local, "demo-woo.4242") == "confirmed", 30)
    code, order = local.request("GET", "/orders/demo-woo.4242")
    assert code == 200
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("Bar3", 1), ("WOO-SINGLE", 2)]
    code, stock = local.request("GET", "/stock/WOO-SINGLE")
    assert (stock["reserved"], stock["available"]) == (2, 28)


def test_a_forged_signature_gets_401_and_queues_nothing(local: Running) -> None:
    sqs = boto3.client(
        "sqs",
        endpoint_url=local.moto.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
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
    sqs = boto3.client(
        "sqs",
        endpoint_url=local.moto.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
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
    assert wait_for(lambda: status_of(local, "demo-shopify.777001") == "confirmed", 30)

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
