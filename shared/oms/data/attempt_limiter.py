"""Attempts counted per key in fixed windows (the customer returns page: per IP and per order
number), in the single table: ``ATTEMPTS#<scope>#<hash of the key>`` / the window's start, one
atomic conditional ADD per attempt, gone through the table's TTL after the window. The key is
stored only as a hash (an IP address is personal data)."""

from __future__ import annotations

import hashlib
import time

from oms.data.dynamo_table import Table


class AttemptLimiter:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def allow(
        self, scope: str, key: str, *, limit: int, window_seconds: int, now: float | None = None
    ) -> bool:
        """Count one attempt; False (counting nothing) when ``key`` has had ``limit`` in this window."""
        at = int(now if now is not None else time.time())
        start = at - at % window_seconds
        digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:40]
        return self.table.update_if(
            f"ATTEMPTS#{scope}#{digest}",
            str(start),
            update="ADD attempts :one SET expires_at = if_not_exists(expires_at, :expires)",
            condition="attribute_not_exists(attempts) OR attempts < :limit",
            values={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(start + 2 * window_seconds)},
            },
        )
