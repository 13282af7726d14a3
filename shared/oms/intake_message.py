"""The intake queue's message, both ways: what the webhook, the admin API and the retry route put
on the FIFO queue, and what the intake consumer reads back from an SQS record.

Standard library only: the webhook function imports it and must stay free of pydantic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REQUIRED_ATTRIBUTES = ("channel", "store_id", "topic", "event_id", "received_at")
# Our own topic: decide an order again from what we stored (after staff map a variant, or count
# stock in). Its body is {"order_id": ...}.
RETRY_TOPIC = "oms/retry"


def retry_message(
    *, channel: str, store_id: str, channel_order_id: str, event_id: str, actor: str, received_at: str
) -> IntakeMessage:
    """Decide the order again from what we stored, in its order's FIFO group."""
    return IntakeMessage(
        channel=channel,
        store_id=store_id,
        topic=RETRY_TOPIC,
        event_id=event_id,
        channel_order_id=channel_order_id,
        body=f'{{"channel_order_id": "{channel_order_id}"}}',
        received_at=received_at,
        attributes={"actor": actor},
    )


class MalformedMessage(ValueError):
    """An SQS record that is not an intake message (missing attributes)."""


@dataclass(frozen=True, slots=True)
class IntakeMessage:
    """One order payload on its way to the intake consumer (body is the channel's raw JSON)."""

    channel: str
    store_id: str
    topic: str
    event_id: str
    channel_order_id: str
    body: str
    received_at: str
    triggered_at: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def group_id(self) -> str:
        """FIFO group: one per order, so one order's messages are applied in arrival order."""
        return f"{self.store_id}.{self.channel_order_id}"

    @property
    def deduplication_id(self) -> str:
        return hashlib.sha256(f"{self.store_id}|{self.event_id}".encode()).hexdigest()

    def message_attributes(self) -> dict[str, str]:
        attrs = {
            "channel": self.channel,
            "store_id": self.store_id,
            "topic": self.topic,
            "event_id": self.event_id,
            "received_at": self.received_at,
            "channel_order_id": self.channel_order_id,
        }
        if self.triggered_at:
            attrs["triggered_at"] = self.triggered_at
        attrs.update(self.attributes)
        return attrs

    @classmethod
    def from_sqs(cls, record: Mapping[str, Any]) -> IntakeMessage:
        """The message inside an SQS record as Lambda delivers it."""
        attributes = record.get("messageAttributes") or {}
        values = {
            name: str(attr.get("stringValue") or "")
            for name, attr in attributes.items()
            if isinstance(attr, Mapping)
        }
        missing = [name for name in REQUIRED_ATTRIBUTES if not values.get(name)]
        if missing:
            raise MalformedMessage(f"missing message attributes: {missing}")
        known = {*REQUIRED_ATTRIBUTES, "channel_order_id", "triggered_at"}
        return cls(
            channel=values["channel"],
            store_id=values["store_id"],
            topic=values["topic"],
            event_id=values["event_id"],
            channel_order_id=values.get("channel_order_id", ""),
            body=str(record.get("body") or ""),
            received_at=values["received_at"],
            triggered_at=values.get("triggered_at"),
            attributes={k: v for k, v in values.items() if k not in known},
        )
