"""Catalogue sync (SQS FIFO, a page of one store's catalogue per message, oms.catalog_sync): the
channel's products read page by page, each SKU we stock recorded with its channel ids and its level
pushed where the store syncs; then our SKUs the catalogue did not show (oms.services.
catalog_sync_service). A page whose pushes must wait (another push of a SKU under way, the channel
throttling) comes back when the channel asked; one failing five times lands in the DLQ (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.catalog_sync import CatalogRun
from oms.channel_push import inventory_channel
from oms.data.redelivery import hold_back
from oms.integrations.http_transport import Transport, UrllibTransport
from oms.observability import count, lambda_handler_of, logger
from oms.services.catalog_sync_service import PushesPending
from oms.timeutil import utcnow
from oms.wiring import catalog_sync

transport: Transport = UrllibTransport()  # the channels' APIs (tests replay exchanges here)
service = catalog_sync(channels=lambda store, credentials: inventory_channel(store, credentials, transport))
BUSY_SECONDS = 2


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        run = CatalogRun.model_validate_json(record["body"])
        try:
            outcome = service.page(run, utcnow())
        except PushesPending as pending:
            hold_back(record["eventSourceARN"], record["receiptHandle"], pending.retry_after or BUSY_SECONDS)
            failures.append({"itemIdentifier": record["messageId"]})
            logger.info(
                "catalogue page waits for pushes", extra={"store_id": run.store_id, "skus": len(pending.skus)}
            )
            continue
        counts = outcome.counts
        count("CatalogSkusListed", counts.listed)
        logger.info(
            f"catalogue {outcome.done}",
            extra={
                "store_id": run.store_id,
                "run_id": run.run_id,
                "page": run.page,
                "phase": run.phase,
                "listed": counts.listed,
                "matched": counts.matched,
                "queued": counts.queued,
                "channel_only": len(counts.channel_only),
                "ours_only": len(counts.ours_only),
                "problem": outcome.problem,
            },
        )
    return {"batchItemFailures": failures}
