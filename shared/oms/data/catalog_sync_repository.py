"""Each store's catalogue sync record (oms.catalog_sync.CatalogSync): one item beside the store's
(``STORE#<id>`` / ``CATALOG``). Starting a run is conditional on the record read (one run per store
at a time); a page's counts are added only by the run that owns the record and only once (the page
number it carries must be the pages done so far)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.catalog_sync import CatalogRun, CatalogStatus, CatalogSync, PageCounts, add_sample
from oms.data import table_keys as keys
from oms.data.dynamo_table import Table
from oms.data.item_codec import from_item, to_attr, to_item
from oms.timeutil import iso

_KEYS = {"PK", "SK", "entity"}


class CatalogSyncRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def get(self, store_id: str) -> CatalogSync | None:
        item = self.table.get(keys.store_pk(store_id), keys.CATALOG_SK)
        if item is None:
            return None
        return CatalogSync.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})

    def start(self, record: CatalogSync, previous: CatalogSync | None) -> bool:
        """The new run's record, unless another run started since ``previous`` was read."""
        item = to_item(
            {
                "PK": keys.store_pk(record.store_id),
                "SK": keys.CATALOG_SK,
                "entity": "catalog_sync",
                **record.model_dump(mode="json", exclude_none=True),
            }
        )
        condition = "attribute_not_exists(PK)"
        values: dict[str, Any] = {}
        if previous is not None and previous.run_id:
            condition = "run_id = :previous"
            values[":previous"] = to_attr(previous.run_id)
        return self.table.put_if(item, condition=condition, values=values)

    def add_page(
        self,
        run: CatalogRun,
        counts: PageCounts,
        current: CatalogSync,
        at: datetime,
        following: CatalogRun | None,
    ) -> bool:
        """The page's counts added to the run's record, with where the next page starts, once:
        False when the record is no longer this run's or the page was counted already."""
        values: dict[str, Any] = {
            ":next_phase": to_attr(following.phase.value if following else None),
            ":next_cursor": to_attr(following.cursor if following else None),
            ":run": to_attr(run.run_id),
            ":page": to_attr(run.page),
            ":one": to_attr(1),
            ":at": to_attr(iso(at)),
            ":listed": to_attr(counts.listed),
            ":matched": to_attr(counts.matched),
            ":queued": to_attr(counts.queued),
            ":channel_only": to_attr(len(counts.channel_only)),
            ":ours_only": to_attr(len(counts.ours_only)),
            ":channel_sample": to_attr(add_sample(current.channel_only_skus, counts.channel_only)),
            ":ours_sample": to_attr(add_sample(current.ours_only_skus, counts.ours_only)),
        }
        return self.table.update_if(
            keys.store_pk(run.store_id),
            keys.CATALOG_SK,
            update=(
                "SET updated_at = :at, channel_only_skus = :channel_sample, ours_only_skus = :ours_sample,"
                " next_phase = :next_phase, next_cursor = :next_cursor"
                " ADD pages :one, listed :listed, matched :matched, queued :queued,"
                " channel_only :channel_only, ours_only :ours_only"
            ),
            condition="run_id = :run AND pages = :page",
            values=values,
        )

    def finish(
        self, run: CatalogRun, status: CatalogStatus, at: datetime, problem: str | None = None
    ) -> bool:
        values: dict[str, Any] = {
            ":run": to_attr(run.run_id),
            ":status": to_attr(status.value),
            ":at": to_attr(iso(at)),
            ":running": to_attr(CatalogStatus.RUNNING.value),
            ":problem": to_attr(problem),
        }
        return self.table.update_if(
            keys.store_pk(run.store_id),
            keys.CATALOG_SK,
            update="SET #s = :status, finished_at = :at, updated_at = :at, problem = :problem",
            condition="run_id = :run AND #s = :running",
            values=values,
            names={"#s": "status"},
        )
