"""Search indexer: DynamoDB stream records of orders -> the search index's term items
(oms.services.order_lookup), so ``GET /orders?q=`` finds orders by number, email, SKU and tag."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.order_repository import OrderRepository
from oms.data.order_search_index import OrderSearchIndex
from oms.data.stream_records import order_images
from oms.observability import count, lambda_handler_of, logger
from oms.services.order_lookup import OrderLookup

orders = OrderRepository(finish_pending=False)
lookup = OrderLookup(OrderSearchIndex(orders.table), orders)


@lambda_handler_of
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    changes = [c for c in (order_images(r.raw_event) for r in event.records) if c is not None]
    report = lookup.reindex(changes)
    if report.writes:
        count("SearchTermsWritten", report.writes)
    logger.info("orders indexed", extra={"orders": report.orders, "writes": report.writes})
    if report.failed_at is not None:
        logger.warning(
            "search index not written; the batch resumes from this record",
            extra={"sequence_number": report.failed_at, "error": report.error},
        )
        return {"batchItemFailures": [{"itemIdentifier": report.failed_at}]}
    return {"batchItemFailures": []}
