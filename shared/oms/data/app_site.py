"""The admin app's bucket (template: AdminAppBucket): its files put with their types and a
revalidate-every-time cache policy (CloudFront serves them compressed; an unchanged file costs a
304), files a new version no longer has removed, and every version removed when the stack is
deleted (CloudFormation cannot delete a bucket that holds objects). Also the reply CloudFormation
waits for from a custom resource."""

from __future__ import annotations

import json
import mimetypes
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.errors import OmsError

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
CONFIG = "config.json"


class SiteUnavailable(OmsError):
    code = "site_unavailable"
    status = 503


class AppSite:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.s3 = client or boto3.client("s3")

    def publish(self, root: Path, config: dict[str, str]) -> list[str]:
        """Every file under ``root`` and ``config.json``; files of an earlier version gone. Returns
        the keys written."""
        files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
        try:
            for key, path in files.items():
                self._put(key, path.read_bytes())
            self._put(CONFIG, json.dumps(config).encode())
            keep = {*files, CONFIG}
            stale = [key for key in self._keys() if key not in keep]
            self._delete([{"Key": key} for key in stale])
        except (BotoCoreError, ClientError) as error:
            raise SiteUnavailable(f"could not publish the admin app: {error}") from error
        return sorted(keep)

    def empty(self) -> int:
        """Every version of every object removed; returns how many."""
        removed = 0
        try:
            pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket)
            for page in pages:
                batch = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for kind in ("Versions", "DeleteMarkers")
                    for v in page.get(kind, [])
                ]
                self._delete(batch)
                removed += len(batch)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
                return removed  # already gone: nothing to empty
            raise SiteUnavailable(f"could not empty the admin app's bucket: {error}") from error
        except BotoCoreError as error:
            raise SiteUnavailable(f"could not empty the admin app's bucket: {error}") from error
        return removed

    def _put(self, key: str, body: bytes) -> None:
        kind = TYPES.get(Path(key).suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=kind, CacheControl="no-cache")

    def _keys(self) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys

    def _delete(self, objects: list[dict[str, str]]) -> None:
        for start in range(0, len(objects), 1000):  # DeleteObjects takes at most 1,000 keys
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objects[start : start + 1000]})


def reply_to_cloudformation(event: dict[str, Any], status: str, reason: str, physical_id: str) -> None:
    """PUT the custom resource's outcome to the presigned URL CloudFormation gave (HTTPS; plain
    HTTP only to this machine, for ``sam local invoke`` and the tests)."""
    url = str(event["ResponseURL"])
    if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        raise SiteUnavailable("CloudFormation's response URL must be HTTPS")
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:500] or status,
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={"content-type": ""})  # noqa: S310 - checked above
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - checked above
        answer.read()
