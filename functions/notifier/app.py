"""Notifier (SQS of EventBridge events): tell customers and staff, exactly once per event."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.idempotency_store import idempotency
from oms.data.notification_sender import Sender
from oms.data.order_repository import OrderRepository
from oms.data.store_repository import StoreRepository
from oms.notifications import NEEDS_ORDER, Notification, plan
from oms.observability import count, lambda_handler_of, logger
from oms.settings import get_settings

settings = get_settings()
orders = OrderRepository(finish_pending=False)  # reads only (and its idempotency records)
stores = StoreRepository(orders.table, settings, cache_seconds=60)
sender = Sender(settings)
processor = BatchProcessor(event_type=EventType.SQS)
# Idempotency records share the table (PK IDEMPOTENCY#notifier, SK the key's hash; TTL'd).
persistence, config = idempotency("notifier", orders.table, settings)


@idempotent_function(data_keyword_argument="task", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
def send_once(task: dict[str, str], notification: Notification) -> dict[str, str]:
    """One notification, keyed by event id and position: a redelivered event re-sends nothing
    that already went out, and a failure after a partial send re-sends only what is missing."""
    sender.send(notification)
    count(f"{type(notification).__name__}Sent")
    return {"sent": task["key"]}


def notify(event: dict[str, Any], event_id: str) -> None:
    detail = event.get("detail") or {}
    order = store = None
    if event.get("detail-type") in NEEDS_ORDER and detail.get("order_id"):
        order = orders.get(detail["order_id"])
        store = stores.find(detail.get("store_id", ""))
    planned = plan(event, order, store, email_enabled=sender.email_enabled)
    for i, notification in enumerate(planned):
        send_once(task={"key": f"{event_id}:{i}:{type(notification).__name__}"}, notification=notification)
    logger.info(
        "notified",
        extra={
            "event_type": event.get("detail-type"),
            "event_id": event_id,
            "order_id": detail.get("order_id"),
            "sent": [type(n).__name__ for n in planned],
        },
    )


def handle(record: SQSRecord) -> None:
    event = json.loads(record.body)
    # The EventBridge event id changes if the publisher re-puts an event; our own id does not.
    event_id = (event.get("detail") or {}).get("event_id") or event.get("id")
    try:
        notify(event, str(event_id))
    except Exception as error:
        logger.warning(
            "notification failed",
            extra={
                "event_type": event.get("detail-type"),
                "event_id": event_id,
                "error": type(error).__name__,
                "detail": str(error)[:300],
            },
        )
        raise


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
