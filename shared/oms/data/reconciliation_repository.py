"""Each store's reconciliation record (oms.missed_orders.Reconciliation): one item beside the
store's (``STORE#<id>`` / ``RECONCILIATION``), so the record's frequent writes never race the
store's own settings. The watermark only moves forward (a conditional write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Table
from oms.data.item_codec import from_item, to_attr
from oms.missed_orders import ReconcileRun, Reconciliation
from oms.timeutil import iso

_KEYS = {"PK", "SK", "entity"}


class ReconciliationRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def get(self, store_id: str) -> Reconciliation | None:
        item = self.table.get(keys.store_pk(store_id), keys.RECONCILIATION_SK)
        return _record(item) if item else None

    def many(self, store_ids: list[str]) -> dict[str, Reconciliation]:
        items = self.table.batch_get([(keys.store_pk(s), keys.RECONCILIATION_SK) for s in store_ids])
        return {r.store_id: r for r in map(_record, items)}

    def mark_scheduled(self, store_id: str, run_id: str, at: datetime, previous: datetime | None) -> bool:
        """Claim the schedule's run of the store: False when another tick claimed it first."""
        condition = "attribute_not_exists(last_scheduled_at)"
        values: dict[str, Any] = {
            ":at": to_attr(iso(at)),
            ":run": to_attr(run_id),
            ":store": to_attr(store_id),
            ":e": to_attr("reconciliation"),
        }
        if previous is not None:
            condition = "last_scheduled_at = :previous"
            values[":previous"] = to_attr(iso(previous))
        return self.table.update_if(
            keys.store_pk(store_id),
            keys.RECONCILIATION_SK,
            update="SET last_scheduled_at = :at, scheduled_run_id = :run, store_id = :store, #e = :e",
            condition=condition,
            values=values,
            names={"#e": "entity"},
        )

    def finish(
        self, run: ReconcileRun, at: datetime, *, move_watermark: bool, error: str | None = None
    ) -> None:
        """Record the run; with ``move_watermark``, the watermark becomes the run's end unless it is
        already later."""
        values: dict[str, Any] = {
            ":store": to_attr(run.store_id),
            ":e": to_attr("reconciliation"),
            ":run": to_attr(run.run_id),
            ":at": to_attr(iso(at)),
            ":since": to_attr(iso(run.since)),
            ":until": to_attr(iso(run.until)),
            ":listed": to_attr(run.listed),
            ":missing": to_attr(run.missing),
            ":stale": to_attr(run.stale),
            ":error": to_attr(error),
        }
        update = (
            "SET store_id = :store, #e = :e, last_run_id = :run, last_run_at = :at, last_since = :since,"
            " last_until = :until, last_listed = :listed, last_missing = :missing, last_stale = :stale,"
            " last_error = :error"
        )
        if run.scheduled:
            update += ", scheduled_finished_id = :run"
        pk, sk = keys.store_pk(run.store_id), keys.RECONCILIATION_SK
        if move_watermark and self.table.update_if(
            pk,
            sk,
            update=update + ", watermark = :until",
            condition="attribute_not_exists(watermark) OR watermark < :until",
            values=values,
            names={"#e": "entity"},
        ):
            return
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key={"PK": {"S": pk}, "SK": {"S": sk}},
            UpdateExpression=update,
            ExpressionAttributeValues=values,
            ExpressionAttributeNames={"#e": "entity"},
        )


def _record(item: dict[str, Any]) -> Reconciliation:
    return Reconciliation.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})
