"""Intake consumer (SQS FIFO, partial batch failures): record each queued channel order once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.order_repository import OrderRepository
from oms.intake import record as record_order
from oms.intake_message import IntakeRecord
from oms.observability import count, logger, metrics, traced
from oms.timeutil import utcnow
from oms.webhooks import CREATE_TOPICS

orders = OrderRepository()
# One failed message stops the rest of *its* order's group, not the other orders in the batch.
processor = SqsFifoPartialProcessor(model=IntakeRecord, skip_group_on_error=True)

_EVENT_METRIC = {
    "OrderPlaced": "OrdersReceived",
    "OrderConfirmed": "OrdersConfirmed",
    "OrderOnHold": "OrdersOnHold",
    "OrderCancelled": "OrdersCancelled",
    "OrderAwaitingPayment": "OrdersAwaitingPayment",
}


def handle(record: IntakeRecord) -> None:
    try:
        envelope = record.envelope()
        incoming = envelope.incoming()
        result = record_order(
            incoming, envelope.actor(utcnow()), orders, expect_new=envelope.topic in CREATE_TOPICS
        )
    except Exception as error:
        # Retried until the queue's maxReceiveCount, then kept in the DLQ (alarmed).
        logger.warning(
            "intake message failed",
            extra={
                "message_id": record.messageId,
                "receive_count": record.attributes.ApproximateReceiveCount,
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
            "channel": envelope.channel,
            "topic": envelope.topic,
        },
    )
    for event_type in result.events:
        if event_type in _EVENT_METRIC:
            count(_EVENT_METRIC[event_type])
    if result.outcome == "unchanged":
        count("DuplicateOrStaleDeliveries")


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
