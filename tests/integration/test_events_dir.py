"""Every sample in events/ goes through its function, so the samples never rot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from oms_local.cloud import ROOT
from scripts.generate_events import REPLY_URL
from tests.cloudformation_replies import Replies
from tests.stack import Stack

EVENTS = ROOT / "events"
MANIFEST = json.loads((EVENTS / "manifest.json").read_text())


def test_every_file_is_in_the_manifest_and_every_function_has_samples(shared_shop: Stack) -> None:
    files = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")} - {"manifest.json"}
    assert files == set(MANIFEST)
    function_dirs = {spec.code_dir.name for spec in shared_shop.cloud.specs.values()}
    assert function_dirs <= {entry["function_dir"] for entry in MANIFEST.values()}


@pytest.fixture(scope="module")
def replies() -> Iterator[Replies]:
    """CloudFormation's response URL, where the custom resource samples reply."""
    with Replies(port=int(urlsplit(REPLY_URL).port or 0)) as listening:
        yield listening


@pytest.mark.parametrize("name", list(MANIFEST))
def test_sample_event_is_answered_as_expected(shared_shop: Stack, replies: Replies, name: str) -> None:
    expected = MANIFEST[name]
    cloud = shared_shop.cloud
    function = next(
        lid for lid, spec in cloud.specs.items() if spec.code_dir.name == expected["function_dir"]
    )
    event = json.loads((EVENTS / name).read_text())
    before = len(replies.received)
    result = cloud.invoker.invoke(function, event)
    assert result.ok, result.error
    if "reply" in expected:
        assert [r["Status"] for r in replies.received[before:]] == [expected["reply"]]
    if "status" in expected:
        assert result.value["statusCode"] == expected["status"], result.value.get("body")
        headers = {k.lower(): v for k, v in result.value["headers"].items()}
        content_type = headers["content-type"]
        assert content_type == expected.get("content_type", "application/json")
        if content_type == "application/json":
            json.loads(result.value["body"])  # an API answer is JSON unless it is a document
        else:
            assert result.value["body"].startswith("<!doctype html>")
    elif "result_keys" in expected:
        assert sorted(result.value) == expected["result_keys"], result.value
    else:
        assert len(result.value["batchItemFailures"]) == expected["failures"], result.value
    if function == "IntakeFunction":
        cloud.drain()
