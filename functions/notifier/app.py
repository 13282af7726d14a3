"""Notifier (SQS of EventBridge events): tell customers and staff, exactly once per event
(oms.services.notification_service)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.idempotency_store import Once
from oms.data.notification_sender import Sender
from oms.data.order_repository import OrderRepository
from oms.data.page_link_key import PageLinks
from oms.data.store_repository import StoreRepository
from oms.observability import count, lambda_handler_of, logger
from oms.services.notification_service import NotificationService
from oms.settings import get_settings

settings = get_settings()
orders = OrderRepository(finish_pending=False)  # reads only (and its idempotency records)
# Idempotency records share the table (PK IDEMPOTENCY#notifier, SK the key's hash; TTL'd).
once = Once("notifier", orders.table, settings)
# Links to the customer's pages are signed with the stack's key (read at the first email needing one).
links = PageLinks(settings)
stores = StoreRepository(orders.table, settings, cache_seconds=60)
service = NotificationService(orders, stores, Sender(settings), once, links.url, links.return_url)
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    event = json.loads(record.body)
    try:
        notified = service.notify(event)
    except Exception as error:
        logger.warning(
            "notification failed",
            extra={
                "event_type": event.get("detail-type"),
                "error": type(error).__name__,
                "detail": str(error)[:300],
            },
        )
        raise
    for kind in notified.sent:
        count(f"{kind}Sent")
    logger.info(
        "notified",
        extra={
            "event_type": notified.event_type,
            "order_id": notified.order_id,
            "planned": notified.planned,
            "sent": notified.sent,
        },
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    once.register(context)
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
