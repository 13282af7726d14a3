"""Channel sync (SQS of ShipmentShipped, OrderNoteAdded, RefundCreated (pending),
OrderLinesCancelled and OrderEdited (pending) events): tell the store a shipment left (Shopify
fulfillment with tracking; WooCommerce customer note, then status completed), give WooCommerce a
note staff wrote for the customer, make a refund on the channel where the payment lives (its answer
recorded on the refund), cancel there what staff cancelled or make staff's edit there as a Shopify
order edit (its answer recorded on the edit), through oms.services.channel_sync_service. A failed call is
retried through the queue and ends in its DLQ (alarmed); a refund still failing on the queue's last
attempt is recorded as failed; the order itself is never blocked or rolled back by the channel."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.idempotency_store import Once
from oms.data.redelivery import hold_back
from oms.data.shipment_repository import ShipmentRepository
from oms.data.store_repository import LocationRepository, StoreRepository
from oms.event_records import BusEventRecord
from oms.integrations.http_transport import HttpError, UrllibTransport
from oms.observability import count, lambda_handler_of, logger
from oms.services.after_sale import AfterSale
from oms.services.channel_sync_service import ChannelSyncService
from oms.settings import get_settings

settings = get_settings()
# Reads, its idempotency records, and the order item when a refund's answer is recorded.
shipments = ShipmentRepository(finish_pending=False)
once = Once("channel-sync", shipments.table, settings)
stores = StoreRepository(shipments.table, settings, cache_seconds=60)
outcomes = AfterSale(shipments, stores, LocationRepository(shipments.table, cache_seconds=60))
service = ChannelSyncService(shipments, stores, UrllibTransport(), once, outcomes)
LAST_ATTEMPT = 5  # the queue's maxReceiveCount: after it, the message goes to the DLQ
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)


def handle(record: BusEventRecord) -> None:
    detail = record.body.detail
    shipment_id, order_id = str(detail.get("shipment_id", "")), str(detail.get("order_id", ""))
    logger.set_correlation_id(order_id)
    last = int(record.attributes.ApproximateReceiveCount) >= LAST_ATTEMPT
    try:
        if record.body.detail_type == "OrderNoteAdded":
            report = service.push_note(order_id, str(detail.get("note_id", "")))
        elif record.body.detail_type == "RefundCreated":
            report = service.push_refund(order_id, str(detail.get("refund_id", "")), last_attempt=last)
        elif record.body.detail_type == "OrderLinesCancelled":
            report = service.push_cancellation(detail, last_attempt=last)
        elif record.body.detail_type == "OrderEdited":
            report = service.push_edit(order_id, str(detail.get("edit_id", "")), last_attempt=last)
        else:
            report = service.push(order_id, shipment_id)
    except HttpError as error:
        count("ChannelPushFailures")
        if error.retry_after:  # the channel said when to come back (429/503 Retry-After)
            hold_back(record.eventSourceARN, record.receiptHandle, error.retry_after)
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
