"""Outbound webhooks, fan-out (SQS of every domain event, oms.outbound_webhooks): each event put on
the delivery queue once per subscription that wants it (oms.services.outbound_service). A batch
that cannot be fanned out is retried from the queue, then kept in its DLQ (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from oms.event_records import BusEventRecord
from oms.observability import count, lambda_handler_of, logger
from oms.wiring import outbound

service = outbound()


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = []
    for raw in event.get("Records", []):
        try:
            records.append(BusEventRecord.model_validate(raw))
        except ValidationError:
            logger.warning("not a domain event; dropped", extra={"message_id": raw.get("messageId")})
    queued = service.dispatch(record.body for record in records)
    count("WebhookDeliveriesQueued", queued)
    if queued:
        logger.debug("deliveries queued", extra={"events": len(records), "deliveries": queued})
    return {"batchItemFailures": []}
