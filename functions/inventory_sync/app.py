"""Inventory sync (SQS of StockAvailableChanged events, batched for a second): every store that
syncs its stock is told each changed SKU's available quantity, through
oms.services.inventory_sync_service. A batch is coalesced: a SKU changed ten times is read and
pushed once, at its newest level. A SKU that could not be pushed yet (another push of it under way,
a channel asking us to wait, an outage) is returned to the queue, held back as long as the channel
asked; a message failing five times lands in the DLQ (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from oms.channel_push import inventory_channel
from oms.data.dynamo_table import Table
from oms.data.listing_repository import ListingRepository
from oms.data.notification_sender import Sender
from oms.data.redelivery import hold_back
from oms.data.store_repository import StoreRepository
from oms.event_records import BusEventRecord
from oms.integrations.http_transport import UrllibTransport
from oms.observability import count, lambda_handler_of, logger
from oms.services.inventory_sync_service import InventorySync
from oms.settings import get_settings

settings = get_settings()
table = Table()
transport = UrllibTransport()
sender = Sender(settings)
service = InventorySync(
    ListingRepository(table),
    StoreRepository(table, settings),  # read per batch: a store turning sync on counts at once
    lambda store, credentials: inventory_channel(store, credentials, transport),
    sender.send,
)
BUSY_SECONDS = 2  # another worker is pushing the SKU: look again shortly, not after the queue's timeout


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    by_sku: dict[str, list[BusEventRecord]] = {}
    for raw in event.get("Records", []):
        try:
            record = BusEventRecord.model_validate(raw)
        except ValidationError:
            logger.warning("not a stock event; dropped", extra={"message_id": raw.get("messageId")})
            continue
        sku = str(record.body.detail.get("sku") or "")
        if sku:
            by_sku.setdefault(sku, []).append(record)
    report = service.sync(by_sku)
    count("InventoryPushes", len(report.pushed))
    count("InventoryPushRefusals", len(report.refused))
    failures = []
    for sku in sorted(report.retry):
        for record in by_sku[sku]:
            failures.append({"itemIdentifier": record.messageId})
            hold_back(record.eventSourceARN, record.receiptHandle, report.retry_after or BUSY_SECONDS)
    if report.refused:
        logger.warning("channels refused stock levels", extra={"refused": report.refused})
    if not (report.pushed or report.retry or report.refused):
        return {"batchItemFailures": failures}  # no store syncs these SKUs, or they are on it already
    logger.info(
        "stock synced",
        extra={
            "skus": len(by_sku),
            "pushed": report.pushed,
            "retry": sorted(report.retry),
            "skipped": report.skipped,
        },
    )
    return {"batchItemFailures": failures}
