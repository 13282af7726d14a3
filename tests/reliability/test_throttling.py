"""Throttling and conflicts: DynamoDB and SQS answer ProvisionedThroughputExceeded, Throttling and
TransactionConflict as AWS does (an HTTP error response the SDK parses), injected in front of moto.
Short bursts are absorbed by the SDK's retries; longer ones fail the invocation and the message
is redelivered. Either way: one order, one reservation, one OrderConfirmed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws
from moto.core.models import botocore_stubber

from oms_local import motofix
from oms_local.cloud import LocalCloud
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE, seed
from tests.stack import Stack

pytestmark = pytest.mark.reliability


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


@dataclass
class Throttle:
    """Answer the next ``times`` calls of ``service``/``operation`` with ``error``."""

    service: str = ""
    operation: str = ""
    error: str = ""
    times: int = 0
    answered: int = 0
    seen: list[str] = field(default_factory=list)

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".")[:3]
        if (service, operation) != (self.service, self.operation) or self.answered >= self.times:
            return None
        self.answered += 1
        self.seen.append(operation)
        body: dict[str, Any]
        if self.error == "TransactionConflict":
            items = json.loads(request.body)["TransactItems"]
            body = {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                "[TransactionConflict]",
                "CancellationReasons": [{"Code": "TransactionConflict", "Message": "Transaction is ongoing"}]
                + [{"Code": "None"}] * (len(items) - 1),
            }
        elif service == "dynamodb":
            body = {"__type": f"com.amazonaws.dynamodb.v20120810#{self.error}", "message": "Rate exceeded"}
        else:
            body = {"__type": f"com.amazonaws.sqs#{self.error}", "message": "Rate exceeded"}
        headers = {"x-amzn-RequestId": "throttled", "Content-Type": "application/x-amz-json-1.0"}
        if service == "sqs":
            headers["x-amzn-query-error"] = f"{self.error};Sender"
        return AWSResponse(request.url, 400, headers, _Raw(json.dumps(body).encode()))


@pytest.fixture(scope="module")
def throttled() -> Iterator[tuple[Stack, Throttle]]:
    motofix.install()
    throttle = Throttle()
    saved = ExponentialBackoff.delay_amount
    ExponentialBackoff.delay_amount = lambda self, context: 0.0  # type: ignore[method-assign]
    with mock_aws():
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        assert session is not None
        events = session._session.get_component("event_emitter")
        # botocore calls every before-send handler and uses the first answer; moto's would still
        # execute the request. In front of moto, in its place: a throttled request never runs.
        events.unregister("before-send", botocore_stubber)

        def service(request: Any, event_name: str, **kwargs: Any) -> Any:
            answer = throttle(request=request, event_name=event_name, **kwargs)
            if answer is not None:
                return answer
            return botocore_stubber(request=request, event_name=event_name, **kwargs)

        events.register("before-send", service, unique_id="oms-throttle")
        try:
            stack = Stack(LocalCloud(fast_retry=True))
            seed(stack.api)
            stack.cloud.pause("FulfilmentFunction")
            yield stack, throttle
        finally:
            events.unregister("before-send", unique_id="oms-throttle")
            events.register("before-send", botocore_stubber)
            ExponentialBackoff.delay_amount = saved  # type: ignore[method-assign]


N = iter(range(1, 1000))


@pytest.mark.parametrize(
    ("service", "operation", "error", "times"),
    [
        ("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException", 2),  # SDK retries
        ("dynamodb", "TransactWriteItems", "ThrottlingException", 9),  # beyond them: redelivered
        ("dynamodb", "TransactWriteItems", "TransactionConflict", 1),
        ("dynamodb", "TransactWriteItems", "TransactionConflict", 7),
        ("dynamodb", "GetItem", "ProvisionedThroughputExceededException", 6),
        ("sqs", "SendMessage", "ThrottlingException", 2),  # the webhook's enqueue, retried by the SDK
        ("sqs", "SendMessage", "ThrottlingException", 5),  # beyond: 5xx, the store retries
        ("sqs", "DeleteMessageBatch", "ThrottlingException", 6),  # Lambda's delete: redelivered
        ("sqs", "ReceiveMessage", "ThrottlingException", 3),
    ],
)
def test_throttling_and_conflicts_lose_and_double_nothing(
    throttled: tuple[Stack, Throttle], service: str, operation: str, error: str, times: int
) -> None:
    stack, throttle = throttled
    n = 880_000 + next(N)
    sku = stack.new_sku("THR", wh_east=10)
    delivery = shopify_delivery(
        shopify_order(n, skus={sku: 2}),
        store_id="demo-shopify",
        secret=str(SHOPIFY_STORE["webhook_secret"]),
        event_id=f"thr-{n}",
    )
    throttle.service, throttle.operation, throttle.error, throttle.times = service, operation, error, times
    throttle.answered, throttle.seen = 0, []
    statuses = []
    for _ in range(4):  # Shopify retries a delivery that did not get a 2xx
        status, _ = stack.send(delivery)
        statuses.append(status)
        if status == 202:
            break
    for _ in range(10):
        stack.cloud.drain()
    throttle.times = 0
    stack.cloud.drain()

    assert throttle.answered == times  # every injected error was met
    assert statuses[-1] == 202
    assert all(s in (202, 500, 503) for s in statuses), statuses
    order = stack.order(f"demo-shopify.{n}")
    assert order["status"] == "confirmed"
    assert [(t.get("from_status"), t["to_status"]) for t in order["timeline"]] == [
        (None, "placed"),
        ("placed", "confirmed"),
    ]
    level = stack.stock(sku)
    assert (level["on_hand"], level["reserved"]) == (10, 2)
    confirmed = {e["detail"]["event_id"] for e in stack.events.of_type("OrderConfirmed", f"demo-shopify.{n}")}
    assert len(confirmed) == 1
    assert stack.queue_depth("IntakeDLQ") == 0
