"""The order search index: one item per term of an order (oms.order_search), written by the
search indexer from the table's stream, read by ``GET /orders?q=``.

``TERMS#<order_id> / <kind>#<value>``, with GSI1 ``FIND#<value> / <placed_at>#<order_id>`` and the
kind in ``entity`` (``term:<kind>``, projected into the index): one Query finds the orders of a
value, newest first, and a filter on ``entity`` keeps the kinds asked for. Terms are put and
deleted unconditionally: the stream hands one order's changes over in order, so applying a
change's difference again (a retried batch) leaves the same items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data import table_keys as keys
from oms.data.dynamo_table import Table, decode_cursor, encode_cursor
from oms.errors import BadRequest, ServiceUnavailable
from oms.order_search import KINDS, SearchAsk, Term


def term_item(order_id: str, placed_at: datetime, term: Term) -> dict[str, Any]:
    return {
        "PK": {"S": keys.order_terms_pk(order_id)},
        "SK": {"S": keys.term_sk(term.kind, term.value)},
        "entity": {"S": f"term:{term.kind}"},
        "order_id": {"S": order_id},
        "GSI1PK": {"S": keys.term_orders(term.value)},
        "GSI1SK": {"S": keys.order_sort(placed_at, order_id)},
    }


class OrderSearchIndex:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def reindex(self, order_id: str, placed_at: datetime, old: frozenset[Term], new: frozenset[Term]) -> int:
        """Write what is new, delete what is gone; the number of items written and deleted."""
        puts = [term_item(order_id, placed_at, t) for t in sorted(new - old)]
        gone = [(keys.order_terms_pk(order_id), keys.term_sk(t.kind, t.value)) for t in sorted(old - new)]
        if puts or gone:
            try:
                self.table.batch_write(puts, gone)
            except (ClientError, BotoCoreError) as exc:
                raise ServiceUnavailable("the search index could not be written; try again") from exc
        return len(puts) + len(gone)

    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """Up to ``limit`` order ids with a term of ``ask``, newest first, and the next page's cursor."""
        state = decode_cursor(cursor) if cursor else {}
        if state and state.get("v") != ask.value:
            raise BadRequest("the cursor belongs to another query", code="invalid_cursor")
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.term_orders(ask.value)}},
            "ScanIndexForward": False,
        }
        if ask.kinds != frozenset(KINDS):
            kinds = sorted(ask.kinds)
            kwargs["FilterExpression"] = f"entity IN ({', '.join(f':k{i}' for i in range(len(kinds)))})"
            kwargs["ExpressionAttributeValues"].update(
                {f":k{i}": {"S": f"term:{k}"} for i, k in enumerate(kinds)}
            )
        found: list[str] = []
        last_seen, last_key = state.get("o"), state.get("k")
        while True:
            kwargs["Limit"] = limit + 1 - len(found)  # one more tells whether another page follows
            if last_key:
                kwargs["ExclusiveStartKey"] = last_key
            response = self.table.query(**kwargs)
            for item in response.get("Items", []):
                order_id = item["order_id"]["S"]
                if order_id != last_seen and order_id not in found:  # one order under two kinds: once
                    if len(found) == limit:
                        return found, encode_cursor({"v": ask.value, "k": last_key, "o": last_seen})
                    found.append(order_id)
                last_seen = order_id
                last_key = {k: item[k] for k in ("PK", "SK", "GSI1PK", "GSI1SK")}
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return found, None
