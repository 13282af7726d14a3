"""The privacy queue (standard SQS): one message per privacy request (oms.privacy), or the rest of
a long one. Kept free of pydantic for the webhook, which queues Shopify's compliance webhooks
as they came (``{"topic", "store_id", "event_id", "received_at", "body"}``)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings


class PrivacyQueue:
    def __init__(self, settings: Settings | None = None, *, fast: bool = False) -> None:
        self.url = (settings or get_settings()).require("privacy_queue_url")
        self.sqs = client("sqs", fast=fast)

    def enqueue(self, message: dict[str, Any], *, delay_seconds: int = 0) -> str:
        try:
            answer = self.sqs.send_message(
                QueueUrl=self.url,
                MessageBody=json.dumps(message, separators=(",", ":")),
                DelaySeconds=delay_seconds,
            )
        except (BotoCoreError, ClientError) as error:
            raise ServiceUnavailable("the privacy queue is not reachable; try again later") from error
        return str(answer["MessageId"])

    def send(self, request: Any, *, delay_seconds: int = 0) -> None:
        """A request (oms.privacy.PrivacyRequest) as its JSON."""
        self.enqueue({"request": json.loads(request.model_dump_json())}, delay_seconds=delay_seconds)
