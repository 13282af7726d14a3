"""The changes the local stack makes to moto.

1. EventBridge targets get the ``account`` field. moto's default target input leaves it out;
   AWS always sends it, and the Powertools EventBridge model (rightly) requires it.

2. How TransactWriteItems prepares its rollback.

moto deep-copies every table a transaction touches, once per item, before it starts, and on
failure swaps the copy in. That costs time in proportion to the *table* (items and every stream
record ever written), so a local stack slows down order by order, and the swap also replaces the
table object that stream readers hold. Here the snapshot is of the items the transaction touches
(and the stream's length); on failure exactly those are put back and the stream is cut back.
moto's own code still checks every condition and applies every write: the all-or-nothing outcome
is the same, in time proportional to the transaction. ``tests/test_motofix.py`` checks it.
"""

from __future__ import annotations

import copy
import types
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.events.utils import EventTemplateParser

_deepcopy = copy.deepcopy


def _no_table_copies(value: Any, memo: dict[int, Any] | None = None) -> Any:
    if isinstance(value, Table):
        return value  # moto's whole-table snapshot: replaced by the per-item one below
    return _deepcopy(value, memo)


def _key(table: Table, op_type: str, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    key = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(key, dict) or table.hash_key_attr not in key:
        return None
    hash_key = DynamoType(key[table.hash_key_attr])
    if table.range_key_attr:
        if table.range_key_attr not in key:
            return None
        return hash_key, DynamoType(key[table.range_key_attr])
    return hash_key, None


def _restore(table: Table, hash_key: DynamoType, range_key: DynamoType | None, old: Any) -> None:
    if range_key is not None:
        if old is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = old
    elif old is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = old


def _event_envelope_with_account() -> None:
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"source": "<source>",', '"source": "<source>", "account": "<account>",'
        )


def install() -> None:
    """Idempotent; affects this process's moto (in-process mocks and the embedded server)."""
    _event_envelope_with_account()
    if getattr(DynamoDBBackend.transact_write_items, "_oms_item_snapshots", False):
        return
    shim = types.ModuleType("copy")
    shim.__dict__.update({k: v for k, v in vars(copy).items() if not k.startswith("__")})
    shim.deepcopy = _no_table_copies  # type: ignore[attr-defined]
    dynamodb_models.copy = shim  # type: ignore[attr-defined]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        touched: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(str(op.get("TableName"))) if isinstance(op, dict) else None
            if table is None:
                continue
            key = _key(table, op_type, op)
            if key is None:
                continue
            current = table.get_item(*key)
            touched.append((table, key[0], key[1], _deepcopy(current) if current is not None else None))
            shard = table.stream_shard
            if shard is not None and table.name not in streams:
                streams[table.name] = (shard, len(shard.items))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(touched):
                _restore(table, hash_key, range_key, old)
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    transact_write_items._oms_item_snapshots = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
