"""The outbox relay: the events each table change carries (oms.outbox_relay), put on the bus in
order, ten per call. On a failure the first change whose events were not all accepted is reported:
the stream retries from it (changes are in order per item), so delivery is at least once and every
event carries a stable ``event_id`` for consumers to dedupe on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from oms.errors import ServiceUnavailable
from oms.outbox_relay import TableChange, events_of_change

MAX_ENTRIES = 10  # per PutEvents call


class Bus(Protocol):
    def publish(self, events: list[dict[str, Any]]) -> None:
        """Put events; raise ServiceUnavailable unless every one was accepted."""
        ...


@dataclass
class RelayReport:
    published: int = 0
    types: list[str] = field(default_factory=list)
    failed_at: str | None = None  # the sequence number to retry from
    error: str | None = None


class EventRelay:
    def __init__(self, bus: Bus, *, low_stock_threshold: int) -> None:
        self.bus, self.threshold = bus, low_stock_threshold

    def relay(self, changes: list[TableChange], now: datetime) -> RelayReport:
        pending = [
            (change.sequence, event)
            for change in changes
            for event in events_of_change(change, threshold=self.threshold, at=now)
        ]
        report = RelayReport()
        for start in range(0, len(pending), MAX_ENTRIES):
            chunk = pending[start : start + MAX_ENTRIES]
            try:
                self.bus.publish([e for _, e in chunk])
            except ServiceUnavailable as error:
                report.failed_at, report.error = chunk[0][0], str(error)[:300]
                return report
            report.published += len(chunk)
        report.types = sorted({e["type"] for _, e in pending})
        return report
