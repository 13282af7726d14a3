"""Outbox relay: DynamoDB stream records -> EventBridge (oms.services.event_relay).

Every committed change wrote its events into the changed item (``outbox``) in the same write, so
a crash anywhere before this point loses nothing: the stream holds the record until we succeed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.event_bus import EventBus
from oms.data.stream_records import table_change
from oms.observability import count, lambda_handler_of, logger
from oms.services.event_relay import EventRelay
from oms.settings import get_settings
from oms.timeutil import utcnow

settings = get_settings()
relay = EventRelay(EventBus(settings), low_stock_threshold=settings.low_stock_threshold)


@lambda_handler_of
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    report = relay.relay([table_change(r.raw_event) for r in event.records], utcnow())
    if report.published:
        count("EventsPublished", report.published)
        logger.info("events published", extra={"count": report.published, "types": report.types})
    if report.failed_at is not None:
        logger.warning(
            "events not published; the batch resumes from this record",
            extra={"sequence_number": report.failed_at, "error": report.error},
        )
        count("EventsPublishFailures")
        return {"batchItemFailures": [{"itemIdentifier": report.failed_at}]}
    return {"batchItemFailures": []}
