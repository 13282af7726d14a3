"""Shopify through Amazon EventBridge (SQS of the partner event bus's rule): each event's order goes
onto the intake queue the way a signed webhook's does (oms.services.shopify_event_intake). A
failure (a shop not registered, the intake queue unreachable) is reported for that record only:
retried, then kept in the DLQ."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.intake_queue import IntakeQueue
from oms.data.store_repository import StoreRepository
from oms.errors import OmsError
from oms.observability import count, lambda_handler_of, logger
from oms.services.shopify_event_intake import ShopifyEventIntake
from oms.settings import get_settings
from oms.timeutil import utcnow

settings = get_settings()
service = ShopifyEventIntake(StoreRepository(), IntakeQueue(settings))
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    try:
        received = service.receive(json.loads(record.body), utcnow())
    except (OmsError, ValueError) as error:
        reason = error.code if isinstance(error, OmsError) else "invalid_json"
        logger.warning("Shopify event not taken", extra={"reason": reason})
        count("ShopifyEventsRefused", reason=reason)
        raise
    count("ShopifyEventsQueued" if received.status == "queued" else "ShopifyEventsIgnored")
    logger.debug("Shopify event", extra={"status": received.status, "store_id": received.store_id})


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
