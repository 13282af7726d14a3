"""The outbound delivery queue (standard SQS): one message per event and subscription
(oms.outbound_webhooks.Delivery), sent ten to a call. A delivery that failed comes back after its
back-off (the consumer holds it back); after ``DELIVERY_ATTEMPTS`` receives it is in the DLQ."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.outbound_webhooks import Delivery
from oms.settings import Settings, get_settings


class DeliveryQueue:
    def __init__(self, settings: Settings | None = None) -> None:
        self.url = (settings or get_settings()).require("delivery_queue_url")
        self.sqs = client("sqs")

    def send(self, deliveries: list[Delivery]) -> None:
        for start in range(0, len(deliveries), 10):
            chunk = deliveries[start : start + 10]
            entries = [{"Id": str(i), "MessageBody": d.model_dump_json()} for i, d in enumerate(chunk)]
            try:
                answer = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            except (BotoCoreError, ClientError) as error:
                raise ServiceUnavailable("the delivery queue is not reachable; try again later") from error
            if answer.get("Failed"):
                raise ServiceUnavailable("the delivery queue refused some deliveries; they are sent again")
