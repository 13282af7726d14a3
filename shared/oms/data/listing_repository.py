"""Stores' listings of SKUs (oms.inventory_sync.ChannelListing): ``SKU#<sku> / LISTING#<store>``,
next to the SKU's stock, so one Query reads the stock, its version and every store's listing.

A push is claimed first: the listing takes a short lease for a version newer than the one last
pushed, so two workers never push the same SKU to the same store at once (the later could carry
the older level); a crashed worker's lease simply runs out. Releasing records the pushed version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from oms.data import table_keys as keys
from oms.data.dynamo_table import Table
from oms.data.item_codec import from_item, to_attr, to_item
from oms.inventory_sync import ChannelListing, Claim, SkuView, SyncProblem
from oms.models import StockLevel
from oms.timeutil import iso

_KEYS = {"PK", "SK", "entity", "lease_until", "lease_version", "expires_at"}
_LOOKUP_FIELDS = ("found", "checked_at", "name", "variant_id", "inventory_item_id", "product_id", "parent_id")


def _listing(item: dict[str, Any]) -> ChannelListing:
    return ChannelListing.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})


class ListingRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def sku_view(self, sku: str) -> SkuView:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.sku_pk(sku)}},
            "ConsistentRead": True,
        }
        while True:
            response = self.table.query(**kwargs)
            items += response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        view = SkuView(sku, None, 0)
        for item in items:
            sk = item["SK"]["S"]
            if sk == keys.SKU_TOTAL_SK:
                view.total = StockLevel.model_validate(from_item(item))
                view.version = int(item.get("stock_version", {}).get("N", "0"))
            elif sk.startswith(keys.SKU_LOCATION_PREFIX):
                view.locations.append(StockLevel.model_validate(from_item(item)))
            elif sk.startswith(keys.LISTING_PREFIX):
                listing = _listing(item)
                view.listings[listing.store_id] = listing
        view.locations.sort(key=lambda level: level.location or "")
        return view

    def listings_of(self, store_id: str, skus: list[str]) -> dict[str, ChannelListing]:
        """The store's listings of these SKUs (those it has), by SKU."""
        found = self.table.batch_get([self._pk_sk(store_id, sku) for sku in skus])
        return {listing.sku: listing for listing in map(_listing, found)}

    def record_lookup(self, listing: ChannelListing, *, repush_run: str | None = None) -> None:
        """What the channel said of the SKU (its ids, or that it has none), keeping what was pushed;
        with ``repush_run`` (a catalogue sync pushing every level again), forgetting the version
        pushed, so the next sync pushes the SKU's level whatever was pushed before."""
        data = listing.model_dump(mode="json")
        values = {f":{name}": to_attr(data[name]) for name in _LOOKUP_FIELDS if data[name] is not None}
        sets = [f"#{name} = :{name}" for name in _LOOKUP_FIELDS if data[name] is not None]
        removes = [f"#{name}" for name in _LOOKUP_FIELDS if data[name] is None]
        names = {f"#{name}": name for name in _LOOKUP_FIELDS}
        update = "SET entity = :entity, store_id = :store, sku = :sku, " + ", ".join(sets)
        if repush_run:
            update += ", repush_run = :repush"
            values[":repush"] = to_attr(repush_run)
            removes.append("pushed_version")
        if removes:
            update += " REMOVE " + ", ".join(removes)
        values |= {
            ":entity": to_attr("listing"),
            ":store": to_attr(listing.store_id),
            ":sku": to_attr(listing.sku),
        }
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key=self._key(listing.store_id, listing.sku),
            UpdateExpression=update,
            ExpressionAttributeValues=values,
            ExpressionAttributeNames=names,
        )

    def claim(self, store_id: str, sku: str, version: int, *, now: datetime, lease: timedelta) -> Claim:
        try:
            self.table.ddb.update_item(
                TableName=self.table.name,
                Key=self._key(store_id, sku),
                UpdateExpression="SET lease_until = :until, lease_version = :v",
                ConditionExpression=(
                    "attribute_exists(PK) AND (attribute_not_exists(pushed_version) OR pushed_version < :v)"
                    " AND (attribute_not_exists(lease_until) OR lease_until < :now)"
                ),
                ExpressionAttributeValues={
                    ":until": {"S": iso(now + lease)},
                    ":now": {"S": iso(now)},
                    ":v": {"N": str(version)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item") or {}
            pushed = int(old.get("pushed_version", {}).get("N", "-1"))
            return Claim.DONE if not old or pushed >= version else Claim.BUSY
        return Claim.CLAIMED

    def release(
        self,
        store_id: str,
        sku: str,
        version: int,
        *,
        pushed: dict[str, int] | None,
        at: datetime,
        problem: str | None = None,
    ) -> bool:
        """Our lease given up: with the version now on the channel (``pushed``), or with the
        channel's refusal (``problem``: that version is not tried again), or, with neither, nothing
        recorded (a retry claims it again). False when the lease was no longer ours."""
        values: dict[str, Any] = {":v": {"N": str(version)}}
        sets: list[str] = []
        if pushed is not None or problem is not None:
            sets += ["pushed_version = :v", "pushed_at = :at"]
            values[":at"] = {"S": iso(at)}
        if pushed is not None:
            sets.append("pushed_quantities = :q")
            values[":q"] = to_attr(pushed)
        if problem is not None:
            sets.append("problem = :problem")
            values[":problem"] = {"S": problem[:300]}
        update = ("SET " + ", ".join(sets) + " " if sets else "") + "REMOVE lease_until, lease_version"
        if problem is None and pushed is not None:
            update += ", problem"
        return self.table.update_if(
            *self._pk_sk(store_id, sku), update=update, condition="lease_version = :v", values=values
        )

    def raise_once(self, store_id: str, kind: str, *, now: datetime, quiet: timedelta) -> bool:
        """True the first time a store's alert of ``kind`` is raised in ``quiet`` (the marker item
        expires then): a store with wrong credentials alerts staff once, not once per SKU."""
        item = to_item(
            {
                "PK": keys.store_pk(store_id),
                "SK": keys.store_alert_sk(kind),
                "entity": "store_alert",
                "raised_at": iso(now),
                "expires_at": int((now + quiet).timestamp()),
            }
        )
        try:
            self.table.ddb.put_item(
                TableName=self.table.name,
                Item=item,
                ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def note_problem(self, problem: SyncProblem) -> None:
        """The store's last refused push (``STORE#<id> / SYNC_HEALTH``): written only when a
        channel refuses, never on the pushes that go through."""
        self.table.ddb.put_item(
            TableName=self.table.name,
            Item=to_item(
                {
                    "PK": keys.store_pk(problem.store_id),
                    "SK": keys.SYNC_HEALTH_SK,
                    "entity": "sync_problem",
                    **problem.model_dump(mode="json"),
                }
            ),
        )

    def last_problem(self, store_id: str) -> SyncProblem | None:
        item = self.table.get(keys.store_pk(store_id), keys.SYNC_HEALTH_SK, consistent=False)
        if item is None:
            return None
        return SyncProblem.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})

    @staticmethod
    def _pk_sk(store_id: str, sku: str) -> tuple[str, str]:
        return keys.sku_pk(sku), keys.listing_sk(store_id)

    def _key(self, store_id: str, sku: str) -> dict[str, Any]:
        pk, sk = self._pk_sk(store_id, sku)
        return {"PK": {"S": pk}, "SK": {"S": sk}}
