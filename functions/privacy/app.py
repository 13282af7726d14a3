"""Privacy (oms.privacy): from the privacy queue, Shopify's compliance webhooks and staff's requests
(a customer's data as a file for staff, a customer's or a store's personal data erased), and on a
daily schedule each store's retention run (oms.services.privacy_service). A request that fails is
retried from the queue, then kept in its DLQ (alarmed)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.observability import lambda_handler_of, logger
from oms.privacy import PrivacyRequest, shopify_request
from oms.timeutil import parse_iso, utcnow
from oms.wiring import privacy_service

service = privacy_service()
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord, lambda_context: LambdaContext) -> None:
    message = json.loads(record.body)
    if "compliance" in message:  # a Shopify compliance webhook, as the webhook queued it
        delivery = message["compliance"]
        request = shopify_request(
            delivery["topic"],
            json.loads(delivery["body"]),
            store_id=delivery["store_id"],
            event_id=delivery["event_id"],
            received_at=parse_iso(delivery["received_at"]),
        )
    else:
        request = PrivacyRequest.model_validate(message["request"])
    outcome = service.handle(request, utcnow(), lambda: lambda_context.get_remaining_time_in_millis() / 1000)
    logger.info(
        "privacy request " + outcome.status,
        extra={
            "request_id": request.request_id,
            "kind": request.kind,
            "store_id": request.store_id,
            "orders": len(outcome.orders),
            "files_deleted": outcome.files_deleted,
            "answers_forgotten": outcome.answers_forgotten,
        },
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" not in event:  # the daily retention tick
        queued = service.schedule(utcnow())
        if queued:
            logger.info("retention runs queued", extra={"stores": [r.store_id for r in queued]})
        return {"queued": len(queued)}
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
