"""Order exports: ``POST /exports`` records the export and queues it; the jobs worker lists the
filter's orders through the listing's indexes, reads them a hundred at a time, writes one CSV to
the export bucket and marks the export ready; ``GET /exports/{id}`` hands out a presigned URL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from oms.bulk_jobs import JobFilter
from oms.errors import OmsError
from oms.models import Order
from oms.order_export import MAX_ORDERS, Export, ExportStatus, Granularity, columns_for, csv_bytes, rows_of
from oms.services.bulk_job_service import ChunkQueue, OrderLister, listed_order_ids


class Exports(Protocol):
    def save(self, export: Export, *, new: bool = False) -> None: ...
    def get(self, export_id: str) -> Export: ...
    def write_file(self, key: str, body: bytes) -> None: ...
    def url(self, key: str) -> str: ...


class OrderBatches(OrderLister, Protocol):
    def many(self, order_ids: list[str]) -> list[Order]: ...


class ExportService:
    def __init__(self, exports: Exports, orders: OrderBatches, queue: ChunkQueue) -> None:
        self.exports, self.orders, self.queue = exports, orders, queue

    def start(
        self,
        order_filter: JobFilter,
        granularity: Granularity,
        columns: list[str] | None,
        *,
        actor: str,
        now: datetime,
        export_id: str | None = None,
    ) -> Export:
        export = Export(
            export_id=export_id or f"exp-{uuid.uuid4().hex[:20]}",
            order_filter=order_filter,
            granularity=granularity,
            columns=columns_for(granularity, columns),
            actor=actor,
            created_at=now,
        )
        self.exports.save(export, new=True)
        export = self.exports.get(export.export_id)
        if export.status == ExportStatus.PENDING:
            self.queue.send([{"job_id": "", "export_id": export.export_id}])
        return export

    def get(self, export_id: str) -> tuple[Export, str | None]:
        export = self.exports.get(export_id)
        return export, self.exports.url(
            export.key
        ) if export.status == ExportStatus.READY and export.key else None

    def run(self, export_id: str, *, now: datetime) -> Export:
        """Write the file (again, if a crash lost the first answer: the same key, the same rows)."""
        export = self.exports.get(export_id)
        if export.status != ExportStatus.PENDING:
            return export
        try:
            ids = listed_order_ids(self.orders, export.order_filter, export.created_at, MAX_ORDERS)
            rows: list[list[str]] = []
            for start in range(0, len(ids), 100):
                for order in self.orders.many(ids[start : start + 100]):
                    rows += rows_of(order, export.granularity, export.columns)
            body, count = csv_bytes(export.columns, rows)
            key = f"exports/{export.export_id}.csv"
            self.exports.write_file(key, body)
        except OmsError as error:
            if error.status < 500:
                done = export.model_copy(
                    update={"status": ExportStatus.FAILED, "error": error.code, "finished_at": now}
                )
                self.exports.save(done)
                return done
            raise
        done = export.model_copy(
            update={
                "status": ExportStatus.READY,
                "rows": count,
                "orders": len(ids),
                "key": key,
                "finished_at": now,
            }
        )
        self.exports.save(done)
        return done
