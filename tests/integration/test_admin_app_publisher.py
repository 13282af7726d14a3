"""The deploy-time publisher of the admin app (the custom resource AdminAppFiles): on create it puts
every file of the app and a config.json naming the stack's API, hosted UI and app client in the
bucket, typed and revalidated on each load; an update removes what the new version no longer has;
a delete empties every version so CloudFormation can delete the bucket; CloudFormation hears back
every time, FAILED with the reason when something was wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from oms_local.cloud import ROOT
from tests.cloudformation_replies import Replies
from tests.stack import Stack

FUNCTION = "AdminAppPublisherFunction"
CONFIG = {
    "apiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com",
    "authUrl": "https://oms-dev-123456789012.auth.us-east-1.amazoncognito.com",
    "clientId": "1example23456789",
}


@pytest.fixture
def replies() -> Iterator[Replies]:
    with Replies() as listening:
        yield listening


def _event(kind: str, bucket: str, url: str, **props: Any) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/oms-dev/1",
        "RequestId": f"request-{kind}",
        "LogicalResourceId": "AdminAppFiles",
        "ResourceType": "Custom::AdminAppFiles",
        "ResourceProperties": {
            "Bucket": bucket,
            "ApiUrl": CONFIG["apiUrl"],
            "AuthUrl": CONFIG["authUrl"],
            "ClientId": CONFIG["clientId"],
            **props,
        },
        **({"PhysicalResourceId": f"admin-app-{bucket}"} if kind != "Create" else {}),
    }


def _objects(stack: Stack, bucket: str) -> dict[str, dict[str, Any]]:
    s3 = stack.cloud.clients["s3"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k) for k in keys}


def test_create_publishes_every_file_and_the_stacks_config_then_delete_empties_every_version(
    stack: Stack, replies: Replies
) -> None:
    bucket = stack.cloud.ref("AdminAppBucket")
    s3 = stack.cloud.clients["s3"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    result = stack.cloud.invoker.invoke(FUNCTION, _event("Create", bucket, replies.url))
    assert result.ok, result.error
    assert [(r["Status"], r["LogicalResourceId"], r["RequestId"]) for r in replies.received] == [
        ("SUCCESS", "AdminAppFiles", "request-Create")
    ]
    published = _objects(stack, bucket)
    app = ROOT / "admin_app" / "public"
    files = {p.relative_to(app).as_posix() for p in app.rglob("*") if p.is_file()}
    assert set(published) == files | {"config.json"}
    assert json.loads(published["config.json"]["Body"].read()) == CONFIG
    assert published["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert published["js/main.js"]["ContentType"] == "text/javascript; charset=utf-8"
    assert published["app.css"]["ContentType"] == "text/css; charset=utf-8"
    assert {o["CacheControl"] for o in published.values()} == {"no-cache"}

    # A file an earlier version had and this one does not is removed by the next deploy.
    s3.put_object(Bucket=bucket, Key="js/old-screen.js", Body=b"export {}")
    result = stack.cloud.invoker.invoke(FUNCTION, _event("Update", bucket, replies.url))
    assert result.ok, result.error
    assert "js/old-screen.js" not in _objects(stack, bucket)

    result = stack.cloud.invoker.invoke(FUNCTION, _event("Delete", bucket, replies.url))
    assert result.ok, result.error
    versions = s3.list_object_versions(Bucket=bucket)
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
    assert [r["Status"] for r in replies.received] == ["SUCCESS"] * 3
    assert {r["PhysicalResourceId"] for r in replies.received} == {f"admin-app-{bucket}"}


def test_a_missing_property_fails_the_deploy_at_once_with_its_reason(stack: Stack, replies: Replies) -> None:
    event = _event("Create", stack.cloud.ref("AdminAppBucket"), replies.url)
    del event["ResourceProperties"]["ClientId"]
    result = stack.cloud.invoker.invoke(FUNCTION, event)
    assert result.ok, result.error
    (reply,) = replies.received
    assert reply["Status"] == "FAILED"
    assert "ClientId" in reply["Reason"]
    assert _objects(stack, stack.cloud.ref("AdminAppBucket")) == {}
