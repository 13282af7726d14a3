"""Outbound webhooks, delivery (SQS, one event for one subscription a message): POSTed signed to the
subscriber (oms.services.outbound_service); a failed attempt comes back after its back-off (30 s
doubling to 12 h), the last one (over a day after the first) goes to the DLQ and staff hear of it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.redelivery import hold_back
from oms.integrations.webhook_transport import PinnedTransport, WebhookTransport
from oms.observability import count, lambda_handler_of, logger
from oms.outbound_webhooks import Delivery
from oms.timeutil import utcnow
from oms.wiring import outbound

transport: WebhookTransport = PinnedTransport()  # the subscribers' endpoints (tests record here)
service = outbound(transport=lambda: transport)


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        delivery = Delivery.model_validate_json(record["body"])
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        result = service.deliver(delivery, attempt, utcnow())
        count("WebhooksDelivered" if result.outcome == "delivered" else "WebhookDeliveryFailures")
        logger.info(
            f"webhook {result.outcome}",
            extra={
                "subscription_id": delivery.subscription_id,
                "event_id": delivery.event_id,
                "attempt": attempt,
                "code": result.code,
            },
        )
        if result.outcome in ("retry", "dead"):
            failures.append({"itemIdentifier": record["messageId"]})
            if result.retry_after:
                hold_back(record["eventSourceARN"], record["receiptHandle"], result.retry_after)
    return {"batchItemFailures": failures}
