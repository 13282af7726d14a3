"""The single DynamoDB table: transactions, cursors and the errors they map to."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from oms.data.aws_clients import client
from oms.errors import BadRequest
from oms.settings import get_settings

MAX_TRANSACTION_ITEMS = 100


class TransactionCancelled(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__(", ".join(r.get("Code", "?") for r in reasons))
        self.reasons = reasons

    def codes(self) -> list[str]:
        return [r.get("Code") or "None" for r in self.reasons]

    @property
    def conflicted(self) -> bool:
        return any(
            c in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded")
            for c in self.codes()
        )


class Table:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or get_settings().require("table_name")
        self.ddb = client("dynamodb")

    def transact(self, items: list[dict[str, Any]], *, token: str | None = None) -> None:
        """All or nothing. A request token (same request, same token) makes an SDK retry of a
        committed write a no-op instead of a condition failure."""
        for item in items:
            next(iter(item.values()))["TableName"] = self.name
        kwargs: dict[str, Any] = {"TransactItems": items}
        if token:
            kwargs["ClientRequestToken"] = token
        try:
            self.ddb.transact_write_items(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise TransactionCancelled(exc.response.get("CancellationReasons") or []) from exc
            raise

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        response = self.ddb.get_item(
            TableName=self.name, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=consistent
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def update_if(
        self,
        pk: str,
        sk: str,
        *,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        """A conditional UpdateItem; False when the condition did not hold (nothing changed)."""
        kwargs: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        try:
            self.ddb.update_item(
                TableName=self.name,
                Key={"PK": {"S": pk}, "SK": {"S": sk}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                **kwargs,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_if(self, item: dict[str, Any], *, condition: str, values: dict[str, Any] | None = None) -> bool:
        """A conditional PutItem; False when the condition did not hold (nothing written)."""
        kwargs: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            self.ddb.put_item(TableName=self.name, Item=item, ConditionExpression=condition, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def query(self, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ddb.query(TableName=self.name, **kwargs)
        return result

    def batch_get(
        self, keys: list[tuple[str, str]], *, consistent: bool = True, attributes: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Every item of ``keys`` that exists (only ``attributes`` of each, when given).
        ``consistent=False`` for reads that only plan a conditional write (half the read cost; the
        write's condition decides) or that list."""
        found: list[dict[str, Any]] = []
        pending = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self.name: {"Keys": chunk, "ConsistentRead": consistent}}
            if attributes:
                request[self.name]["ProjectionExpression"] = ", ".join(
                    f"#a{i}" for i in range(len(attributes))
                )
                request[self.name]["ExpressionAttributeNames"] = {
                    f"#a{i}": a for i, a in enumerate(attributes)
                }
            while request:
                response = self.ddb.batch_get_item(RequestItems=request)
                found += response.get("Responses", {}).get(self.name, [])
                request = response.get("UnprocessedKeys") or {}
        return found

    def batch_write(self, puts: list[dict[str, Any]], deletes: list[tuple[str, str]]) -> None:
        """Unconditional puts and deletes, 25 per request (BatchWriteItem), until none is left
        unprocessed. For items whose last writer wins by design (the search index)."""
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in puts]
        pending += [{"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in deletes]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            request: dict[str, Any] = {self.name: chunk}
            while request:
                response = self.ddb.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the cursor is not one this API issued", code="invalid_cursor") from exc
    if not isinstance(state, dict):
        raise BadRequest("the cursor is not one this API issued", code="invalid_cursor")
    return state
