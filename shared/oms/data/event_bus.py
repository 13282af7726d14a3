"""EventBridge: relaying outbox events to the bus."""

from __future__ import annotations

import json
from typing import Any

from oms.data.aws_clients import client
from oms.settings import Settings, get_settings

MAX_ENTRIES = 10  # per PutEvents call


class PublishError(Exception):
    """EventBridge refused some entries of a PutEvents call."""


class EventBus:
    def __init__(self, settings: Settings | None = None) -> None:
        self.name = (settings or get_settings()).require("event_bus_name")
        self.events = client("events")

    def publish(self, events: list[dict[str, Any]], *, resources: list[str] | None = None) -> None:
        """Put events (outbox dicts); raise if any entry was not accepted, so the batch is retried."""
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = events[start : start + MAX_ENTRIES]
            entries = [
                {
                    "EventBusName": self.name,
                    "Source": e["source"],
                    "DetailType": e["type"],
                    "Time": e["occurred_at"],
                    "Resources": resources or [],
                    "Detail": json.dumps({**e["detail"], "event_id": e["id"]}, separators=(",", ":")),
                }
                for e in chunk
            ]
            response = self.events.put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                failed = [r.get("ErrorCode") for r in response.get("Entries", []) if r.get("ErrorCode")]
                raise PublishError(f"EventBridge refused {len(failed)} event(s): {sorted(set(failed))}")
