"""The intake FIFO queue: one message group per order."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.intake_message import IntakeMessage
from oms.settings import Settings, get_settings


class IntakeQueue:
    def __init__(self, settings: Settings | None = None, *, fast: bool = False) -> None:
        self.url = (settings or get_settings()).require("intake_queue_url")
        self.sqs = client("sqs", fast=fast)

    def enqueue(self, message: IntakeMessage) -> str:
        """The queue's message id; ServiceUnavailable when SQS cannot take it (the sender retries)."""
        try:
            response = self._send(message)
        except (BotoCoreError, ClientError) as error:
            raise ServiceUnavailable("the intake queue is not reachable; try again later") from error
        return str(response["MessageId"])

    def _send(self, message: IntakeMessage) -> dict[str, Any]:
        response: dict[str, Any] = self.sqs.send_message(
            QueueUrl=self.url,
            MessageBody=message.body,
            MessageGroupId=message.group_id,
            MessageDeduplicationId=message.deduplication_id,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.message_attributes().items()
            },
        )
        return response
