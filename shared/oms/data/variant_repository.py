"""A store's variant map (oms.line_identity): ``STORE#<store> / VARIANT#<key>``, listed through
GSI1 ``VARIANTS#<store>`` / ``<0 unmapped | 1 mapped>#<key>``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, decode_cursor, encode_cursor
from oms.data.item_codec import from_item, to_item
from oms.line_identity import VariantMapping

_KEYS = {"PK", "SK", "GSI1PK", "GSI1SK", "entity"}


def _item(mapping: VariantMapping) -> dict[str, Any]:
    return to_item(
        {
            "PK": keys.store_pk(mapping.store_id),
            "SK": keys.variant_sk(mapping.variant_key),
            "entity": "variant",
            "GSI1PK": keys.store_variants(mapping.store_id),
            "GSI1SK": f"{int(mapping.mapped)}#{mapping.variant_key}",
            **mapping.model_dump(mode="json", exclude_none=True),
        }
    )


def _mapping(item: dict[str, Any]) -> VariantMapping:
    return VariantMapping.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})


class VariantRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def find(self, store_id: str, variant_keys: Sequence[str]) -> dict[str, VariantMapping]:
        if not variant_keys:
            return {}
        items = self.table.batch_get([(keys.store_pk(store_id), keys.variant_sk(k)) for k in variant_keys])
        return {m.variant_key: m for m in map(_mapping, items)}

    def get(self, store_id: str, variant_key: str) -> VariantMapping | None:
        item = self.table.get(keys.store_pk(store_id), keys.variant_sk(variant_key))
        return _mapping(item) if item else None

    def record_seen(self, seen: Sequence[VariantMapping]) -> None:
        """Remember variants that orders showed without a SKU; one already known is left alone."""
        for mapping in seen:
            try:
                self.table.ddb.put_item(
                    TableName=self.table.name,
                    Item=_item(mapping),
                    ConditionExpression="attribute_not_exists(PK)",
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise

    def put(self, mapping: VariantMapping) -> None:
        self.table.ddb.put_item(TableName=self.table.name, Item=_item(mapping))

    def list(self, store_id: str, *, mapped: bool | None, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.store_variants(store_id)}},
            "Limit": limit,
        }
        if mapped is not None:
            kwargs["KeyConditionExpression"] += " AND begins_with(GSI1SK, :m)"
            kwargs["ExpressionAttributeValues"][":m"] = {"S": f"{int(mapped)}#"}
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        found = self.table.batch_get([(i["PK"]["S"], i["SK"]["S"]) for i in response.get("Items", [])])
        by_sk = {i["SK"]["S"]: _mapping(i) for i in found}
        items = [
            by_sk[i["SK"]["S"]].model_dump(mode="json")
            for i in response.get("Items", [])
            if i["SK"]["S"] in by_sk
        ]
        last = response.get("LastEvaluatedKey")
        return Page(items=items, cursor=encode_cursor(last) if last else None)
