"""Channel sync (SQS of ShipmentShipped events): tell the store a shipment left (Shopify
fulfillment with tracking; WooCommerce customer note, then status completed).

Each push step runs at most once per shipment (Powertools idempotency, keyed by shipment and
step). A failed call is retried through the queue and ends in its DLQ (alarmed); the order itself
is never blocked or rolled back by the channel."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.channel_push import PushStep, plan_push
from oms.data.idempotency_store import idempotency
from oms.data.shipment_repository import ShipmentRepository
from oms.data.store_repository import StoreRepository
from oms.event_records import BusEventRecord
from oms.integrations.http_transport import HttpError, UrllibTransport
from oms.observability import count, lambda_handler_of, logger
from oms.settings import get_settings

settings = get_settings()
shipments = ShipmentRepository(finish_pending=False)  # reads only (and its idempotency records)
stores = StoreRepository(shipments.table, settings, cache_seconds=60)
transport = UrllibTransport()
processor = BatchProcessor(event_type=EventType.SQS, model=BusEventRecord)
persistence, config = idempotency("channel-sync", shipments.table, settings)


@idempotent_function(data_keyword_argument="task", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
def run_once(task: dict[str, str], step: PushStep) -> dict[str, Any]:
    return step.run()


def handle(record: BusEventRecord) -> None:
    detail = record.body.detail
    shipment_id, order_id = str(detail.get("shipment_id", "")), str(detail.get("order_id", ""))
    logger.set_correlation_id(order_id)
    order, all_shipments = shipments.order_with_shipments(order_id)
    shipment = next((s for s in all_shipments if s.shipment_id == shipment_id), None)
    if shipment is None:
        logger.warning("shipment not found; nothing pushed", extra={"shipment_id": shipment_id})
        return
    store = stores.find(shipment.store_id)
    credentials = stores.api_credentials(store) if store else None
    plan = plan_push(store, order, shipment, credentials, transport)
    if plan.skipped:
        count("ChannelPushSkipped")
        logger.info("not pushed to the channel", extra={"shipment_id": shipment_id, "why": plan.skipped})
        return
    for step in plan.steps:
        try:
            result = run_once(task={"key": f"{shipment_id}:{step.name}"}, step=step)
        except HttpError as error:
            count("ChannelPushFailures")
            logger.warning(
                "channel push failed; retried from the queue",
                extra={
                    "shipment_id": shipment_id,
                    "step": step.name,
                    "status": error.status,
                    "error": str(error),
                },
            )
            raise
        logger.info("pushed to the channel", extra={"shipment_id": shipment_id, "step": step.name, **result})
    count("ChannelPushes")


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
