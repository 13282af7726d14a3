"""Finishing order changes left half way: a staged change (oms.data.staged_commit) whose process
died, and whose message has not come back (it went to a DLQ, or was a staff request), is driven to
its end (finished, or undone) by the schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from oms.errors import ConcurrentModification
from oms.observability import logger


class StagedOperations(Protocol):
    def stale(self, now: datetime, *, older_than: timedelta, limit: int = 50) -> list[tuple[str, str]]: ...
    def resume(self, order_id: str, op_id: str) -> object: ...


@dataclass
class SweepReport:
    found: int = 0
    settled: list[str] = field(default_factory=list)
    failed: int = 0


class SweepService:
    # Longer than any invocation that may still be running the operation itself.
    OLDER_THAN = timedelta(minutes=15)

    def __init__(self, operations: StagedOperations) -> None:
        self.operations = operations

    def sweep(self, now: datetime) -> SweepReport:
        report = SweepReport()
        for order_id, op_id in self.operations.stale(now, older_than=self.OLDER_THAN):
            report.found += 1
            try:
                self.operations.resume(order_id, op_id)
            except ConcurrentModification as error:
                report.failed += 1  # still contended: the next run tries again
                logger.warning(
                    "staged change not settled yet", extra={"order_id": order_id, "error": str(error)}
                )
                continue
            report.settled.append(order_id)
        return report
