"""EventBridge: relaying outbox events to the bus."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings

MAX_ENTRIES = 10  # per PutEvents call


class PublishError(ServiceUnavailable):
    """EventBridge refused some entries of a PutEvents call (or could not be reached)."""

    code = "events_not_published"


class EventBus:
    def __init__(self, settings: Settings | None = None) -> None:
        self.name = (settings or get_settings()).require("event_bus_name")
        self.events = client("events")

    def publish(self, events: list[dict[str, Any]], *, resources: list[str] | None = None) -> None:
        """Put events (outbox dicts) in calls of at most ten entries and 256 KB; raise if any entry
        was not accepted, so the batch is retried."""
        entries = [
            {
                "EventBusName": self.name,
                "Source": e["source"],
                "DetailType": e["type"],
                "Time": e["occurred_at"],
                "Resources": resources or [],
                "Detail": json.dumps({**e["detail"], "event_id": e["id"]}, separators=(",", ":")),
            }
            for e in events
        ]
        for chunk in _calls(entries):
            try:
                response = self.events.put_events(Entries=chunk)
            except (BotoCoreError, ClientError) as error:
                raise PublishError(f"EventBridge could not be reached: {type(error).__name__}") from error
            if response.get("FailedEntryCount"):
                failed = [r.get("ErrorCode") for r in response.get("Entries", []) if r.get("ErrorCode")]
                raise PublishError(f"EventBridge refused {len(failed)} event(s): {sorted(set(failed))}")


# A PutEvents request carries at most 256 KB of entries (EventBridge's own measure: source,
# detail-type, detail, resources and 14 bytes of time), with some room to spare.
MAX_REQUEST_BYTES = 240_000


def entry_size(entry: dict[str, Any]) -> int:
    size = (
        14 + len(entry["Source"].encode()) + len(entry["DetailType"].encode()) + len(entry["Detail"].encode())
    )
    return size + sum(len(r.encode()) for r in entry.get("Resources", []))


def _calls(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    calls: list[list[dict[str, Any]]] = []
    size = 0
    for entry in entries:
        n = entry_size(entry)
        if not calls or len(calls[-1]) == MAX_ENTRIES or size + n > MAX_REQUEST_BYTES:
            calls.append([])
            size = 0
        calls[-1].append(entry)
        size += n
    return calls
