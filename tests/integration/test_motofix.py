"""The local stack's moto change keeps TransactWriteItems all-or-nothing (see oms_local.motofix)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from oms_local import motofix


@pytest.fixture
def ddb() -> Iterator[Any]:
    motofix.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.put_item(TableName="t", Item={"PK": {"S": "stock"}, "SK": {"S": "a"}, "n": {"N": "1"}})
        client.put_item(TableName="t", Item={"PK": {"S": "other"}, "SK": {"S": "x"}, "v": {"S": "keep"}})
        yield client


def _items(ddb: Any) -> list[dict[str, Any]]:
    return sorted(ddb.scan(TableName="t")["Items"], key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def _stream(ddb: Any) -> list[str]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [f"{r['eventName']}:{r['dynamodb']['Keys']['PK']['S']}" for r in records]


def _failing(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as caught:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"PK": {"S": "order"}, "SK": {"S": "1"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"PK": {"S": "stock"}, "SK": {"S": "a"}},
                        "UpdateExpression": "SET n = n - :q",
                        "ConditionExpression": "n >= :q",
                        "ExpressionAttributeValues": {":q": {"N": "5"}},
                    }
                },
                {"Delete": {"TableName": "t", "Key": {"PK": {"S": "other"}, "SK": {"S": "x"}}}},
            ]
        )
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None"]


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(ddb: Any) -> None:
    items, stream = _items(ddb), _stream(ddb)
    _failing(ddb)
    assert _items(ddb) == items
    assert _stream(ddb) == stream


def test_a_committed_transaction_applies_every_write(ddb: Any) -> None:
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"PK": {"S": "order"}, "SK": {"S": "1"}}}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"PK": {"S": "stock"}, "SK": {"S": "a"}},
                    "UpdateExpression": "SET n = n - :q",
                    "ConditionExpression": "n >= :q",
                    "ExpressionAttributeValues": {":q": {"N": "1"}},
                }
            },
        ]
    )
    assert [(i["PK"]["S"], i.get("n")) for i in _items(ddb)] == [
        ("order", None),
        ("other", None),
        ("stock", {"N": "0"}),
    ]
    assert _stream(ddb)[-2:] == ["INSERT:order", "MODIFY:stock"]


def test_tables_are_no_longer_copied_and_a_second_transaction_still_sees_the_first(ddb: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].tables["t"]
    _failing(ddb)
    assert dynamodb_backends["123456789012"]["us-east-1"].tables["t"] is table  # not swapped for a copy
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"PK": {"S": "order"}, "SK": {"S": "2"}}}},
        ]
    )
    assert [i["PK"]["S"] for i in _items(ddb)].count("order") == 1


def test_dynamodb_answers_written_with_json_equal_what_motos_serializer_writes(ddb: Any) -> None:
    from moto.core import responses as moto_responses

    seen: dict[str, int] = {}
    fast = moto_responses.ActionResult.execute_result

    def both(self: Any, context: Any) -> Any:
        status, headers, body = fast(self, context)
        name = context.operation_model.name
        if name in motofix.FAST_JSON.get(str(context.service_model.service_name), ()):
            _, _, reference = motofix.MOTO_EXECUTE_RESULT(self, context)
            assert json.loads(body) == json.loads(reference), name
            seen[name] = seen.get(name, 0) + 1
        return status, headers, body

    moto_responses.ActionResult.execute_result = both  # type: ignore[method-assign]
    try:
        item = {
            "PK": {"S": "doc"},
            "SK": {"S": "1"},
            "blob": {"B": b"\x00\x01zip"},
            "n": {"N": "12.50"},
            "flag": {"BOOL": True},
            "nothing": {"NULL": True},
            "list": {"L": [{"S": "a"}, {"N": "2"}, {"M": {"k": {"SS": ["x", "y"]}}}]},
        }
        ddb.put_item(TableName="t", Item=item)
        ddb.get_item(TableName="t", Key={"PK": {"S": "doc"}, "SK": {"S": "1"}})
        ddb.query(
            TableName="t", KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "doc"}}
        )
        ddb.batch_get_item(RequestItems={"t": {"Keys": [{"PK": {"S": "doc"}, "SK": {"S": "1"}}]}})
        ddb.update_item(
            TableName="t",
            Key={"PK": {"S": "stock"}, "SK": {"S": "a"}},
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {"PK": {"S": "t"}, "SK": {"S": "1"}}}}]
        )
        ddb.scan(TableName="t")
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert records
    finally:
        moto_responses.ActionResult.execute_result = fast  # type: ignore[method-assign]
    assert set(seen) >= {
        "PutItem",
        "GetItem",
        "Query",
        "BatchGetItem",
        "UpdateItem",
        "TransactWriteItems",
        "Scan",
    }
    assert {"GetShardIterator", "GetRecords"} <= set(seen)


def test_counter_updates_applied_directly_leave_what_motos_own_update_leaves(ddb: Any) -> None:
    """Random stock moves (oms.data.stock_repository's expression), on two equal items: one through
    the direct path, one through moto's own update; same items, same refusals, same stream images."""
    import random

    from moto.dynamodb.models import DynamoDBBackend

    from oms.data.stock_repository import StockDelta, delta_update

    rng = random.Random(7)
    for name in ("fast", "moto"):
        ddb.put_item(
            TableName="t",
            Item={
                "PK": {"S": name},
                "SK": {"S": "TOTAL"},
                "on_hand": {"N": "10"},
                "reserved": {"N": "0"},
                "available": {"N": "10"},
                "outbox": {"B": b"x"},
            },
        )
    fast = DynamoDBBackend.update_item
    outcomes: dict[str, list[Any]] = {"fast": [], "moto": []}
    for _ in range(60):
        delta = StockDelta("x", None, rng.randint(-4, 4), rng.randint(-4, 4))
        for name in ("fast", "moto"):
            update = delta_update(delta, datetime_now())["Update"]
            DynamoDBBackend.update_item = fast if name == "fast" else motofix.MOTO_UPDATE_ITEM  # type: ignore[method-assign]
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                **update,
                                "TableName": "t",
                                "Key": {"PK": {"S": name}, "SK": {"S": "TOTAL"}},
                            }
                        }
                    ]
                )
                outcomes[name].append("ok")
            except ddb.exceptions.TransactionCanceledException as error:
                outcomes[name].append([r.get("Code") for r in error.response["CancellationReasons"]])
            finally:
                DynamoDBBackend.update_item = fast  # type: ignore[method-assign]
    assert outcomes["fast"] == outcomes["moto"]
    assert 10 < outcomes["fast"].count("ok") < 60
    items = {
        i["PK"]["S"]: {k: v for k, v in i.items() if k != "PK"}
        for i in _items(ddb)
        if i["SK"]["S"] == "TOTAL"
    }
    assert items["fast"] == items["moto"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    images = {"fast": [], "moto": []}
    for record in records:
        pk = record["dynamodb"]["Keys"]["PK"]["S"]
        if pk in images and record["eventName"] == "MODIFY":
            strip = lambda image: {k: v for k, v in (image or {}).items() if k != "PK"}  # noqa: E731
            images[pk].append(
                (strip(record["dynamodb"].get("OldImage")), strip(record["dynamodb"].get("NewImage")))
            )
    assert images["fast"]
    assert images["fast"] == images["moto"]


def datetime_now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)
