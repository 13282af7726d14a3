"""A whole OMS stack on in-process moto, built from template.yaml, and the fixtures that start one
(imported by the conftest of every tier that needs AWS; the unit tier does not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from oms_local import motofix
from oms_local.cloud import LocalApi, LocalCloud
from oms_local.samples import Delivery
from oms_local.seed import SHOPIFY_STORE, WOO_STORE, seed

motofix.install()


class Stack:
    """A provisioned local stack with helpers for the things tests do most."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.api = LocalApi(cloud)
        self.events = EventCapture(cloud)

    def send(self, delivery: Delivery) -> tuple[int, Any]:
        status, _, body = self.api.request(
            "POST", delivery.path, headers=delivery.headers, raw_body=delivery.body
        )
        return status, body

    def deliver(self, delivery: Delivery) -> tuple[int, Any]:
        """Send a webhook and let every queue, stream and rule settle."""
        result = self.send(delivery)
        self.cloud.drain()
        return result

    def order(self, order_id: str) -> dict[str, Any]:
        status, body = self.api("GET", f"/orders/{order_id}")
        assert status == 200, body
        return dict(body)

    def stock(self, sku: str) -> dict[str, Any]:
        status, body = self.api("GET", f"/stock/{sku}")
        assert status == 200, body
        return dict(body)

    def new_sku(self, base: str, **locations: int) -> str:
        """A SKU of this test's own (tests share a stack), stocked as given."""
        import uuid

        sku = f"{base}-{uuid.uuid4().hex[:6].upper()}"
        self.set_stock(sku, **locations)
        return sku

    def set_stock(self, sku: str, **locations: int) -> None:
        body = {"locations": [{"location": k.replace("_", "-"), "on_hand": v} for k, v in locations.items()]}
        status, result = self.api("PUT", f"/stock/{sku}", body)
        assert status == 200, result

    def items(self) -> list[dict[str, Any]]:
        """Every item in the table (small test tables only)."""
        ddb = self.cloud.clients["dynamodb"]
        return list(ddb.scan(TableName=self.cloud.ref("OmsTable"))["Items"])

    def queue_depth(self, logical: str) -> int:
        return self.cloud.queue_depth(logical)

    def empty_queue(self, logical: str) -> None:
        sqs, url = self.cloud.clients["sqs"], self.cloud.ref(logical)
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
            "Messages", []
        ):
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


class EventCapture:
    """Every event put on the OMS bus, collected through a rule of its own."""

    def __init__(self, cloud: LocalCloud) -> None:
        sqs, events = cloud.clients["sqs"], cloud.clients["events"]
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName="test-event-capture")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = cloud.ref("OmsBus")
        events.put_rule(
            Name="test-capture", EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": "oms"}]})
        )
        events.put_targets(Rule="test-capture", EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def all(self) -> list[dict[str, Any]]:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return self.seen
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def of_type(self, detail_type: str, order_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.all()
            if e["detail-type"] == detail_type
            and (order_id is None or e["detail"].get("order_id") == order_id)
        ]


def redelivered(event: dict[str, Any]) -> dict[str, Any]:
    """An event the bus delivered once, delivered again through its queue (an SQS batch of one,
    received for the second time), for invoking a queue consumer directly."""
    return {
        "Records": [
            {
                "messageId": f"redelivered-{event.get('id', '')}",
                "receiptHandle": "redelivered",
                "body": json.dumps(event),
                "attributes": {
                    "ApproximateReceiveCount": "2",
                    "SentTimestamp": "1795315673873",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795315673900",
                },
                "messageAttributes": {},
                "md5OfBody": "x",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:redelivered",
                "awsRegion": "us-east-1",
            }
        ]
    }


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def stack(aws: None) -> Stack:
    return Stack(LocalCloud(fast_retry=True))


# The step after confirmation. Tests of the order spine pause it, so that they see an order as
# intake left it (confirmed, stock reserved) rather than already allocated and, for the
# auto-fulfilling demo Shopify store, shipped.
FULFILMENT = "FulfilmentFunction"


@pytest.fixture
def full_shop(stack: Stack) -> Stack:
    """A stack with the demo stores, warehouses and stock registered through the admin API;
    every function runs."""
    seed(stack.api)
    return stack


@pytest.fixture
def shop(full_shop: Stack) -> Stack:
    """The seeded stack with fulfilment paused (its queue fills, nothing is allocated)."""
    full_shop.cloud.pause(FULFILMENT)
    return full_shop


@pytest.fixture(scope="module")
def shared_shop() -> Iterator[Stack]:
    """One seeded stack for a module of tests that only add to it (faster: moto copies the table
    on every transaction, so seeding is the slow part)."""
    with mock_aws():
        stack = Stack(LocalCloud(fast_retry=True))
        seed(stack.api)
        yield stack


_ISOLATED = iter(range(1, 10_000))


@pytest.fixture
def isolated_shop(shared_shop: Stack) -> Stack:
    """A second, separately named and seeded stack in the same moto (its own stage and table)."""
    n = next(_ISOLATED)
    stack = Stack(LocalCloud(fast_retry=True, name=f"oms-iso{n}", parameters={"Stage": f"iso{n}"}))
    seed(stack.api)
    return stack


@pytest.fixture
def shopify_secret() -> str:
    return str(SHOPIFY_STORE["webhook_secret"])


@pytest.fixture
def woo_secret() -> str:
    return str(WOO_STORE["webhook_secret"])
