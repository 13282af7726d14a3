"""The local stack's moto change keeps TransactWriteItems all-or-nothing (see oms_local.motofix)."""

from __future__ import annotations

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
