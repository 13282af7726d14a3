"""Intake consumer (SQS FIFO, partial batch failures): record each queued channel order once. A
BigCommerce delivery names only its order: the order is read from BigCommerce's API here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.intake_message import IntakeMessage
from oms.integrations.http_transport import Transport, UrllibTransport
from oms.models import Store
from oms.observability import count, lambda_handler_of, logger
from oms.timeutil import utcnow
from oms.wiring import intake_service

transport: Transport = UrllibTransport()  # BigCommerce's API (tests replay exchanges here)


def read_order(store: Store, credentials: dict[str, Any] | None, order_id: str) -> dict[str, Any] | None:
    # Imported on first use: only BigCommerce deliveries need the channels' clients (cold start).
    from oms.channel_push import order_document

    return order_document(store, credentials, transport, order_id)


service = intake_service(documents=read_order)
# One failed message stops the rest of *its* order's group, not the other orders in the batch.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)

_EVENT_METRIC = {
    "OrderPlaced": "OrdersReceived",
    "OrderConfirmed": "OrdersConfirmed",
    "OrderOnHold": "OrdersOnHold",
    "OrderCancelled": "OrdersCancelled",
    "OrderAwaitingPayment": "OrdersAwaitingPayment",
}


def handle(record: SQSRecord) -> None:
    try:
        message = IntakeMessage.from_sqs(record.raw_event)
        result = service.handle(message, utcnow())
    except Exception as error:
        # Retried until the queue's maxReceiveCount, then kept in the DLQ (alarmed).
        logger.warning(
            "intake message failed",
            extra={
                "message_id": record.message_id,
                "receive_count": record.attributes.approximate_receive_count,
                "error": getattr(error, "code", type(error).__name__),
            },
        )
        count("IntakeFailures")
        raise
    logger.set_correlation_id(result.order_id)
    logger.info(
        "order recorded",
        extra={
            "order_id": result.order_id,
            "outcome": result.outcome,
            "status": result.status,
            "channel": message.channel,
            "topic": message.topic,
        },
    )
    for event_type in result.events:
        if event_type in _EVENT_METRIC:
            count(_EVENT_METRIC[event_type])
    if result.outcome == "unchanged":
        count("DuplicateOrStaleDeliveries")


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
