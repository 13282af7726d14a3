"""Channel sync (SQS of ShipmentShipped and OrderNoteAdded events): tell the store a shipment left
(Shopify fulfillment with tracking; WooCommerce customer note, then status completed), or give
WooCommerce a note staff wrote for the customer, through
oms.services.channel_sync_service. A failed call is retried through the queue and ends in its DLQ
(alarmed); the order itself is never blocked or rolled back by the channel."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.idempotency_store import Once
from oms.data.shipment_repository import ShipmentRepository
from oms.data.store_repository import StoreRepository
from oms.event_records import BusEventRecord
from oms.integrations.http_transport import HttpError, UrllibTransport
from oms.observability import count, lambda_handler_of, logger
from oms.services.channel_sync_service import ChannelSyncService
from oms.settings import get_settings

settings = get_settings()
shipments = ShipmentRepository(finish_pending=False)  # reads only (and its idempotency records)
once = Once("channel-sync", shipments.table, settings)
service = ChannelSyncService(
    shipments, StoreRepository(shipments.table, settings, cache_seconds=60), UrllibTransport(), once
)
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)


def handle(record: BusEventRecord) -> None:
    detail = record.body.detail
    shipment_id, order_id = str(detail.get("shipment_id", "")), str(detail.get("order_id", ""))
    logger.set_correlation_id(order_id)
    try:
        if record.body.detail_type == "OrderNoteAdded":
            report = service.push_note(order_id, str(detail.get("note_id", "")))
        else:
            report = service.push(order_id, shipment_id)
    except HttpError as error:
        count("ChannelPushFailures")
        logger.warning(
            "channel push failed; retried from the queue",
            extra={"shipment_id": shipment_id, "status": error.status, "error": str(error)},
        )
        raise
    if report.skipped:
        count("ChannelPushSkipped")
        logger.info("not pushed to the channel", extra={"shipment_id": shipment_id, "why": report.skipped})
        return
    count("ChannelPushes")
    logger.info("pushed to the channel", extra={"shipment_id": shipment_id, "steps": report.steps})


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    once.register(context)
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
