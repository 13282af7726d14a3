"""A domain event as a queue consumer receives it: an SQS record whose body is the EventBridge
event a rule delivered (``detail`` is our event body, see docs/events.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import Json

from oms.order_changes import Actor


class BusEvent(EventBridgeModel):
    detail: dict[str, Any]

    @property
    def event_id(self) -> str:
        """Our own id (stable when the publisher re-puts an event), else EventBridge's."""
        return str(self.detail.get("event_id") or self.id)

    def actor(self, name: str, at: Any) -> Actor:
        return Actor(name=name, source_event=f"{self.detail_type}:{self.event_id}", at=at)


class BusEventRecord(SqsRecordModel):
    body: Json[BusEvent]
