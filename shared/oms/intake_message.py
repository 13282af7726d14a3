"""The intake queue's message, as the consumer reads it (SQS record -> channel payload)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, field_validator

from oms.channels.incoming import IncomingOrder, normalise
from oms.errors import BadRequest
from oms.order_changes import Actor
from oms.timeutil import UtcDateTime, parse_iso


class IntakeRecord(SqsRecordModel):
    """An intake SQS record: the channel's raw JSON body plus our string attributes."""

    @field_validator("messageAttributes")
    @classmethod
    def _required_attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = {"channel", "store_id", "topic", "event_id", "received_at"} - set(value)
        if missing:
            raise ValueError(f"missing message attributes: {sorted(missing)}")
        return value

    def attribute(self, name: str) -> str | None:
        attr = self.messageAttributes.get(name)
        return attr.stringValue if attr else None

    def envelope(self) -> IntakeEnvelope:
        return IntakeEnvelope(
            channel=self.attribute("channel") or "",
            store_id=self.attribute("store_id") or "",
            topic=self.attribute("topic") or "",
            event_id=self.attribute("event_id") or "",
            received_at=parse_iso(self.attribute("received_at") or ""),
            body=self.body,
        )


class IntakeEnvelope(BaseModel):
    channel: str
    store_id: str
    topic: str
    event_id: str
    received_at: UtcDateTime
    body: str

    def incoming(self) -> IncomingOrder:
        try:
            payload = json.loads(self.body)
        except ValueError as exc:
            raise BadRequest("the queued body is not JSON", code="invalid_payload") from exc
        return normalise(
            self.channel, self.topic, payload, store_id=self.store_id, received_at=self.received_at
        )

    def actor(self, at: Any) -> Actor:
        return Actor(name=f"{self.channel}:{self.topic}", source_event=self.event_id, at=at)
