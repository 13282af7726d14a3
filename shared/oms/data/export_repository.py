"""Order exports: the export's record (``EXPORT#<id> / EXPORT``, kept 7 days like its file) and
its CSV in the export bucket (S3: encrypted, public access blocked, objects expire after 7 days),
handed out as a presigned URL."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError

from oms.data import table_keys as keys
from oms.data.aws_clients import client
from oms.data.dynamo_table import Table
from oms.data.item_codec import to_attr
from oms.errors import NotFound, ServiceUnavailable
from oms.order_export import Export
from oms.settings import Settings, get_settings

KEPT = timedelta(days=7)
URL_SECONDS = 3600


class ExportRepository:
    def __init__(self, table: Table | None = None, settings: Settings | None = None) -> None:
        self.table = table or Table()
        self.bucket = (settings or get_settings()).require("export_bucket")
        self.s3 = client("s3")

    def save(self, export: Export, *, new: bool = False) -> None:
        item = {
            "PK": {"S": keys.export_pk(export.export_id)},
            "SK": {"S": keys.EXPORT_SK},
            "entity": {"S": "export"},
            "doc": {"S": export.model_dump_json(by_alias=True, exclude_none=True)},
            "expires_at": to_attr(int((export.created_at + KEPT).timestamp())),
        }
        kwargs = {"ConditionExpression": "attribute_not_exists(PK)"} if new else {}
        try:
            self.table.ddb.put_item(TableName=self.table.name, Item=item, **kwargs)
        except ClientError as exc:
            if new and exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # the same export asked again (its Idempotency-Key): it stands
            raise ServiceUnavailable("the export could not be recorded; try again") from exc

    def get(self, export_id: str) -> Export:
        item = self.table.get(keys.export_pk(export_id), keys.EXPORT_SK)
        if item is None:
            raise NotFound(f"no export {export_id!r}", code="export_not_found")
        return Export.model_validate_json(item["doc"]["S"])

    def write_file(self, key: str, body: bytes, content_type: str = "text/csv; charset=utf-8") -> None:
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ContentDisposition=f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
            )
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable("the export file could not be written; try again") from exc

    def url(self, key: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=URL_SECONDS
            )
        )
