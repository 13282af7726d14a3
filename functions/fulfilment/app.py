"""Fulfilment (SQS of OrderConfirmed and OrderCancelled events): allocate confirmed orders to
locations as shipments (and, where the store auto-fulfils, label and ship them); cancel the open
shipments of cancelled orders. Every step reads the order's current state, so a redelivered or
out-of-order event changes nothing that is already done."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.event_records import BusEventRecord
from oms.observability import count, logger, metrics, traced
from oms.timeutil import utcnow
from oms.wiring import fulfilment_service

service, _ = fulfilment_service()
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)


def handle(record: BusEventRecord) -> None:
    event = record.body
    order_id = str(event.detail.get("order_id", ""))
    logger.set_correlation_id(order_id)
    actor = event.actor("fulfilment", utcnow())
    try:
        if event.detail_type == "OrderCancelled":
            cancelled = service.cancel_for_order(order_id, actor)
            count("ShipmentsCancelled", len(cancelled))
            logger.info("open shipments cancelled", extra={"order_id": order_id, "shipments": cancelled})
            return
        created = service.allocate(order_id, actor)
        count("ShipmentsCreated", len(created))
        shipped = service.auto_fulfil(order_id, actor)
        count("ShipmentsAutoShipped", len(shipped))
    except Exception as error:
        logger.warning(
            "fulfilment step failed; the event will be redelivered",
            extra={"order_id": order_id, "event_type": event.detail_type, "error": type(error).__name__},
        )
        raise
    logger.info(
        "order allocated",
        extra={
            "order_id": order_id,
            "shipments": [s.shipment_id for s in created],
            "locations": sorted({s.location for s in created}),
            "auto_shipped": [s.shipment_id for s in shipped],
        },
    )


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
