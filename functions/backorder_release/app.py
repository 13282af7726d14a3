"""Backorder release (SQS of StockAdjusted, OrderLinesCancelled, RefundCreated and ReturnReceived
events): when more of a SKU is available (its count rose, a cancellation released it, a refund or a
return restocked it), the
orders held out of stock for it are retried, oldest first (oms.services.backorder_release)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.intake_queue import IntakeQueue
from oms.data.order_repository import OrderRepository
from oms.data.stock_repository import StockRepository
from oms.event_records import BusEventRecord
from oms.observability import count, lambda_handler_of, logger
from oms.services.backorder_release import BackorderRelease
from oms.settings import get_settings
from oms.timeutil import utcnow

settings = get_settings()
orders = OrderRepository(finish_pending=False)  # reads the status index only
service = BackorderRelease(orders, StockRepository(orders.table), IntakeQueue(settings))
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)


def handle(record: BusEventRecord) -> None:
    event = record.body
    for released in service.after_event(event.detail_type, event.detail, event.event_id, utcnow()):
        if released.queued:
            count("BackordersReleased", len(released.queued))
        # Stock freed with no order waiting for it is the usual case: not worth a line by default.
        log = logger.info if released.held else logger.debug
        log(
            "backorders checked",
            extra={"sku": released.sku, "held": released.held, "queued": released.queued},
        )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
