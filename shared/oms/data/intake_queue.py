"""The intake FIFO queue: one message group per order."""

from __future__ import annotations

from oms.data.aws_clients import client
from oms.intake_message import IntakeMessage
from oms.settings import Settings, get_settings


class IntakeQueue:
    def __init__(self, settings: Settings | None = None, *, fast: bool = False) -> None:
        self.url = (settings or get_settings()).require("intake_queue_url")
        self.sqs = client("sqs", fast=fast)

    def enqueue(self, message: IntakeMessage) -> str:
        response = self.sqs.send_message(
            QueueUrl=self.url,
            MessageBody=message.body,
            MessageGroupId=message.group_id,
            MessageDeduplicationId=message.deduplication_id,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.message_attributes().items()
            },
        )
        return str(response["MessageId"])
