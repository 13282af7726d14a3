"""Outbox relay: DynamoDB stream records -> EventBridge.

Every committed change wrote its events into the changed item (``outbox``) in the same write, so
a crash anywhere before this point loses nothing: the stream holds the record until we succeed.
Events of the whole batch go out ten per PutEvents call. On a failure we report the first record
whose events were not all accepted; Lambda retries from it (records are in order per item), so
delivery is at least once and each event carries a stable ``event_id`` for consumers to dedupe on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from oms.data.event_bus import MAX_ENTRIES, EventBus, PublishError
from oms.data.item_codec import from_item
from oms.observability import count, lambda_handler_of, logger
from oms.outbox_relay import events_of_change
from oms.settings import get_settings
from oms.timeutil import utcnow

settings = get_settings()
bus = EventBus(settings)


@lambda_handler_of
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    pending: list[tuple[str, dict[str, Any]]] = []  # (sequence number of its record, event)
    now = utcnow()
    for record in event.records:
        change = record.raw_event["dynamodb"]
        old = from_item(change["OldImage"]) if change.get("OldImage") else None
        new = from_item(change["NewImage"]) if change.get("NewImage") else None
        sequence = str(change.get("SequenceNumber", ""))
        pending += [
            (sequence, e)
            for e in events_of_change(
                old, new, threshold=settings.low_stock_threshold, at=now, sequence=sequence
            )
        ]
    for start in range(0, len(pending), MAX_ENTRIES):
        chunk = pending[start : start + MAX_ENTRIES]
        try:
            bus.publish([e for _, e in chunk])
        except (PublishError, BotoCoreError, ClientError) as error:
            logger.warning(
                "events not published; the batch resumes from this record",
                extra={"sequence_number": chunk[0][0], "error": str(error)[:300]},
            )
            count("EventsPublishFailures")
            return {"batchItemFailures": [{"itemIdentifier": chunk[0][0]}]}
    if pending:
        count("EventsPublished", len(pending))
        logger.info(
            "events published",
            extra={"count": len(pending), "types": sorted({e["type"] for _, e in pending})},
        )
    return {"batchItemFailures": []}
