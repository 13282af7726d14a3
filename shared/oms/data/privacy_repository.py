"""Privacy requests (oms.privacy): their records (``PRIVACY#<id> / PRIVACY``: counts and order ids,
never the person), the files a data request produces and the derived copies an erasure must reach
beyond the orders: export files and pick lists in the export bucket, and the admin API's stored
answers to repeated requests (idempotency records, kept a day)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data import table_keys as keys
from oms.data.aws_clients import client
from oms.data.dynamo_table import Table
from oms.data.item_codec import from_item, to_attr, to_item
from oms.errors import ServiceUnavailable
from oms.privacy import PrivacyRecord, PrivacyRequest, PrivacyStatus
from oms.settings import Settings, get_settings
from oms.timeutil import iso

_KEYS = {"PK", "SK", "entity", "expires_at"}
URL_SECONDS = 3600
# The admin APIs whose stored answers (Idempotency-Key replays) can hold an order in full.
ANSWERING_APIS = ("orders-api", "fulfilment-api", "jobs-api")
FILE_PREFIXES = ("exports/",)


class PrivacyRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def get(self, request_id: str) -> PrivacyRecord | None:
        item = self.table.get(keys.privacy_pk(request_id), keys.PRIVACY_SK)
        if item is None:
            return None
        return PrivacyRecord.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})

    def start(self, request: PrivacyRequest) -> tuple[PrivacyRecord, bool]:
        """The request's record, and whether this call created it (else an earlier one did)."""
        record = PrivacyRecord(
            request_id=request.request_id,
            kind=request.kind,
            store_id=request.store_id,
            status=PrivacyStatus.RUNNING,
            source=request.source,
            requested_by=request.requested_by,
            received_at=request.received_at,
            channel_request_id=request.channel_request_id,
        )
        item = to_item(
            {
                "PK": keys.privacy_pk(request.request_id),
                "SK": keys.PRIVACY_SK,
                "entity": "privacy_request",
                **record.model_dump(mode="json", exclude_none=True),
            }
        )
        if self.table.put_if(item, condition="attribute_not_exists(PK)"):
            return record, True
        existing = self.get(request.request_id)
        assert existing is not None
        return existing, False

    def progress(self, request_id: str, order_ids: list[str]) -> None:
        """The orders handled so far (the count, and the first hundred ids)."""
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key={"PK": {"S": keys.privacy_pk(request_id)}, "SK": {"S": keys.PRIVACY_SK}},
            UpdateExpression="SET orders = :n, order_ids = :ids",
            ExpressionAttributeValues={":n": to_attr(len(order_ids)), ":ids": to_attr(order_ids[:100])},
        )

    def finish(
        self,
        request_id: str,
        status: PrivacyStatus,
        at: datetime,
        *,
        file_key: str | None = None,
        problem: str | None = None,
    ) -> None:
        values: dict[str, Any] = {":s": to_attr(status.value), ":at": to_attr(iso(at))}
        update = "SET #s = :s, finished_at = :at"
        if file_key:
            update += ", file_key = :f"
            values[":f"] = to_attr(file_key)
        if problem:
            update += ", problem = :p"
            values[":p"] = to_attr(problem[:300])
        self.table.ddb.update_item(
            TableName=self.table.name,
            Key={"PK": {"S": keys.privacy_pk(request_id)}, "SK": {"S": keys.PRIVACY_SK}},
            UpdateExpression=update,
            ExpressionAttributeValues=values,
            ExpressionAttributeNames={"#s": "status"},
        )

    def forget_answers(self, needles: Iterable[str]) -> int:
        """Delete the admin APIs' stored answers that mention any of ``needles`` (order ids, an
        email): a day's records at most, read a partition at a time."""
        wanted = [n for n in needles if n]
        if not wanted:
            return 0
        gone: list[tuple[str, str]] = []
        for api in ANSWERING_APIS:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"IDEMPOTENCY#{api}"}},
            }
            while True:
                response = self.table.query(**kwargs)
                for item in response.get("Items", []):
                    text = json.dumps(item, default=str).casefold()
                    if any(n.casefold() in text for n in wanted):
                        gone.append((item["PK"]["S"], item["SK"]["S"]))
                if not response.get("LastEvaluatedKey"):
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        if gone:
            self.table.batch_write([], gone)
        return len(gone)


class PrivacyFiles:
    """Files in the export bucket: a data request's document, and the export files and pick lists
    an erasure deletes (every stored version) when they mention the customer's orders."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.bucket = (settings or get_settings()).require("export_bucket")
        self.s3 = client("s3")

    def write(self, key: str, document: dict[str, Any]) -> None:
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(document, indent=2, ensure_ascii=False).encode(),
                ContentType="application/json",
                ContentDisposition=f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
            )
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable("the customer's data file could not be written; try again") from exc

    def url(self, key: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=URL_SECONDS
            )
        )

    def delete_mentioning(self, needles: Iterable[str]) -> int:
        """Delete every file (all its versions) under the export prefixes that mentions a needle."""
        wanted = [n.encode() for n in needles if n]
        if not wanted:
            return 0
        deleted = 0
        paginator = self.s3.get_paginator("list_object_versions")
        for prefix in FILE_PREFIXES:
            versions: dict[str, list[str]] = {}
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for version in page.get("Versions", []):
                    versions.setdefault(version["Key"], []).append(version["VersionId"])
            for key, ids in versions.items():
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                if not any(n in body for n in wanted):
                    continue
                self.s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key, "VersionId": v} for v in ids], "Quiet": True},
                )
                deleted += 1
        return deleted
