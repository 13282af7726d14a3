"""Outbox relay: DynamoDB stream records -> EventBridge.

Every committed change wrote its events into the changed item (``outbox``) in the same write, so
a crash anywhere before this point loses nothing: the stream holds the record until we succeed.
Delivery is at least once; each event carries a stable ``event_id`` for consumers to dedupe on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.bus import EventBus
from oms.data.codec import from_item
from oms.observability import count, logger, metrics, traced
from oms.relay import events_of_change
from oms.settings import get_settings
from oms.timeutil import utcnow

settings = get_settings()
bus = EventBus(settings)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle(record: DynamoDBRecord) -> None:
    change = record.raw_event["dynamodb"]
    old = from_item(change["OldImage"]) if change.get("OldImage") else None
    new = from_item(change["NewImage"]) if change.get("NewImage") else None
    sequence = str(change.get("SequenceNumber", ""))
    events = events_of_change(
        old, new, threshold=settings.low_stock_threshold, at=utcnow(), sequence=sequence
    )
    if not events:
        return
    bus.publish(events)
    count("EventsPublished", len(events))
    logger.info(
        "events published", extra={"types": [e["type"] for e in events], "ids": [e["id"] for e in events]}
    )


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
