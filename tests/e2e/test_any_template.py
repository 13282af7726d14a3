"""The runner follows whatever template it is given: a function, queue, route, rule and schedule
it has never seen run with no change to the runner; what it cannot run is named at start-up."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from oms_local.logs import LogPrinter
from oms_local.runner import Running, banner, facts, start, wait_for, write_sample

pytestmark = pytest.mark.e2e
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini" / "template.yaml"


@pytest.fixture(scope="module")
def mini() -> Iterator[Running]:
    running = start(
        port=0, time_scale=600, printer=LogPrinter(stream=io.StringIO()), seed_demo=False, template=MINI
    )
    try:
        yield running
    finally:
        running.close()


def sources_seen(running: Running) -> dict[str, list[dict[str, object]]]:
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=running.moto.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items = ddb.scan(TableName=running.cloud.ref("Seen"))["Items"]
    seen: dict[str, list[dict[str, object]]] = {}
    for item in items:
        seen.setdefault(item["source"]["S"], []).append(json.loads(item["event"]["S"]))
    return seen


def test_the_route_answers_with_the_templates_environment(mini: Running) -> None:
    with urllib.request.urlopen(f"{mini.api_url}/hello/world?x=1", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"message": "hello, world"}
    event = sources_seen(mini)["http"][0]
    assert event["routeKey"] == "GET /hello/{name}"
    assert event["rawQueryString"] == "x=1"
    assert event["requestContext"]["http"]["method"] == "GET"  # type: ignore[index]


def test_the_queue_rule_and_schedule_invoke_their_functions(mini: Running) -> None:
    endpoint = mini.moto.endpoint
    kw = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    boto3.client("sqs", **kw).send_message(QueueUrl=mini.cloud.ref("Jobs"), MessageBody="job-1")
    boto3.client("events", **kw).put_events(
        Entries=[
            {"EventBusName": "mini-bus", "Source": "mini", "DetailType": "Ping", "Detail": "{}"},
            {"EventBusName": "mini-bus", "Source": "mini", "DetailType": "NotMatching", "Detail": "{}"},
        ]
    )
    assert wait_for(lambda: {"queue", "rule", "schedule"} <= set(sources_seen(mini)), 20)
    seen = sources_seen(mini)
    assert seen["queue"][0]["Records"][0]["body"] == "job-1"  # type: ignore[index]
    assert [e["detail-type"] for e in seen["rule"]] == ["Ping"]
    assert seen["schedule"][0]["detail-type"] == "Scheduled Event"


def test_unsupported_resources_are_reported_by_name(mini: Running, tmp_path: Path) -> None:
    assert mini.cloud.provisioned.unsupported == {"NotRunLocally": "AWS::StepFunctions::StateMachine"}
    sample = tmp_path / "sample.json"
    write_sample(sample)
    data = facts(mini)
    data["stores"] = [{"channel": "shopify", "webhook_url": "x", "webhook_secret": "s", "store_id": "s"}]
    text = banner(mini, data, sample)
    assert "NotRunLocally (AWS::StepFunctions::StateMachine)" in text
