"""Fulfilment (SQS of order and shipment events): allocate confirmed and edited orders to
locations as shipments (and, where the store auto-fulfils, label and ship them); void the labels
of shipments that no longer go out (oms.services.fulfilment_events)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.event_records import BusEventRecord
from oms.observability import count, lambda_handler_of, logger
from oms.timeutil import utcnow
from oms.wiring import fulfilment_services

service = fulfilment_services().events
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)


def handle(record: BusEventRecord) -> None:
    event = record.body
    order_id = str(event.detail.get("order_id", ""))
    logger.set_correlation_id(order_id)
    try:
        outcome = service.handle(event.detail_type, event.detail, event.actor("fulfilment", utcnow()))
    except Exception as error:
        logger.warning(
            "fulfilment step failed; the event will be redelivered",
            extra={"order_id": order_id, "event_type": event.detail_type, "error": type(error).__name__},
        )
        raise
    count("ShipmentsCreated", len(outcome.created))
    count("ShipmentsAutoShipped", len(outcome.auto_shipped))
    count("LabelsVoided", outcome.voided)
    logger.info(
        "fulfilment step done",
        extra={
            "order_id": order_id,
            "event_type": event.detail_type,
            "shipments": outcome.created,
            "locations": outcome.locations,
            "auto_shipped": outcome.auto_shipped,
            "labels_voided": outcome.voided,
        },
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
