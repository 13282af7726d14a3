"""The intake queue on SQS (moto): one message per event, grouped by order, and a queue that cannot
be reached is our ServiceUnavailable (the webhook answers 503 and the channel retries)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from oms.data import aws_clients
from oms.data.intake_queue import IntakeQueue
from oms.errors import ServiceUnavailable
from oms.intake_message import IntakeMessage
from oms.settings import Settings


@pytest.fixture
def queue_url() -> Iterator[str]:
    with mock_aws():
        aws_clients.client.cache_clear()  # clients of this mock
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(
            QueueName="intake-test.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
        )["QueueUrl"]
        yield url
        aws_clients.client.cache_clear()


def message(event_id: str, order: str = "1001") -> IntakeMessage:
    return IntakeMessage(
        channel="shopify",
        store_id="queue-shop",
        topic="orders/create",
        event_id=event_id,
        channel_order_id=order,
        body='{"id": 1001}',
        received_at="2026-06-01T12:00:00Z",
    )


def received(url: str) -> list[dict[str, object]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    return list(got.get("Messages", []))


def test_the_queue_named_in_the_settings_it_is_given_takes_one_message_per_event(queue_url: str) -> None:
    queue = IntakeQueue(Settings(intake_queue_url=queue_url))
    assert queue.url == queue_url
    queue.enqueue(message("evt-1"))
    queue.enqueue(message("evt-1"))  # the same event again: accepted, and SQS deduplicates it
    queue.enqueue(message("evt-2"))
    messages = received(queue_url)
    assert len(messages) == 2
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"queue-shop.1001"}  # type: ignore[index]
    assert messages[0]["MessageAttributes"]["event_id"]["StringValue"] == "evt-1"  # type: ignore[index]


def test_a_queue_that_cannot_be_reached_is_service_unavailable(queue_url: str) -> None:
    queue = IntakeQueue(Settings(intake_queue_url=queue_url.replace("intake-test", "no-such-queue")))
    with pytest.raises(ServiceUnavailable) as raised:
        queue.enqueue(message("evt-3"))
    assert raised.value.status == 503
