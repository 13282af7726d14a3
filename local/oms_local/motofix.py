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
is the same, in time proportional to the transaction. ``tests/integration/test_motofix.py`` checks it.

3. How DynamoDB answers are serialized. moto 5 walks the botocore shape model for every value
of every answer, which costs about a millisecond per item (a GetRecords page of 100 stream records,
a BatchGetItem of 100 stock items: a tenth of a second each); DynamoDB's item and stream answers
are plain JSON of attribute values already, so they are written with ``json.dumps`` (timestamps as
epoch seconds to the millisecond, as moto's serializer writes them). The test checks that both
serializers give the same JSON for every operation it covers.

4. How UpdateItem applies counter arithmetic. moto builds, copies and walks an expression tree ten
times per update (about 8 ms each); a stock move is ``SET a = a + :x, ..., b = :y REMOVE c`` on
attributes that exist. That one shape is applied directly (moto's own condition check still runs
first, and moto's own number arithmetic, stream record and error on a missing item apply); any
other update goes through moto unchanged. The test checks both paths leave the same item and the
same stream record for random stock moves.

5. Partner event bus names keep their slashes. A partner's bus is named after its event source
(``aws.partner/shopify.com/<app id>/<name>``); moto reads a rule's bus name as the last part of an
ARN, so a rule on such a bus names a bus that does not exist. Names of partner buses, and the name
inside a bus ARN, are taken whole.

6. An archive replay sends the window's events only, to the rules it names. moto's replay sends
every archived event, whatever its time, to every rule of the bus; AWS sends the events whose time
is between ``EventStartTime`` and ``EventEndTime``, and with ``Destination.FilterArns`` only to
those rules (the outbound webhooks replay to their own rule, and nothing else sees the events
twice). ``tests/integration/test_outbound_webhooks.py`` replays through it.
"""

from __future__ import annotations

import base64
import copy
import datetime
import decimal
import json
import re
import types
from typing import Any

from moto.core import responses as moto_responses
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import create_condition_expression_parser
from moto.dynamodb.exceptions import ConditionalCheckFailed
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.events.models import EventsBackend, Replay, ReplayState
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


# Answers of these operations are item and stream data only (errors keep moto's serializer).
FAST_JSON = {
    "dynamodb": frozenset(
        {
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "TransactWriteItems",
            "TransactGetItems",
        }
    ),
    "dynamodbstreams": frozenset({"GetShardIterator", "GetRecords"}),
}


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000) / 1000
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def fast_body(result: Any) -> str:
    """The JSON moto's serializer would write for an item or stream answer."""

    def stamp(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (
                    int(v * 1000) / 1000
                    if k == "ApproximateCreationDateTime" and isinstance(v, float)
                    else stamp(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [stamp(v) for v in value]
        return value

    return json.dumps(stamp(_without_none(result)), default=_json_default, separators=(",", ":"))


MOTO_EXECUTE_RESULT = moto_responses.ActionResult.execute_result  # moto's own, kept for the test


def _fast_serializer() -> None:
    original = MOTO_EXECUTE_RESULT
    if getattr(moto_responses.ActionResult.execute_result, "_oms_fast_json", False):
        return

    def execute_result(self: Any, context: Any) -> Any:
        operations = FAST_JSON.get(str(context.service_model.service_name))
        result = self.result
        if operations and context.operation_model.name in operations and isinstance(result, dict):
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, fast_body(result)
        return original(self, context)

    execute_result._oms_fast_json = True  # type: ignore[attr-defined]
    moto_responses.ActionResult.execute_result = execute_result  # type: ignore[method-assign]


_ARITHMETIC = re.compile(r"^SET (?P<sets>.+?)(?: REMOVE (?P<remove>\w+(?:, ?\w+)*))?$")
_SET = re.compile(r"^(\w+) = (?:(\w+) ([+-]) )?(:\w+)$")
MOTO_UPDATE_ITEM = DynamoDBBackend.update_item  # moto's own, kept for the test


def _counter_update(expression: str | None) -> list[tuple[str, str | None, str, str]] | None:
    """(attribute, operand attribute or None, sign, value name) per SET action, or None when the
    expression is not the plain counter shape."""
    match = _ARITHMETIC.match(expression or "")
    if not match:
        return None
    actions = []
    for part in match.group("sets").split(", "):
        action = _SET.match(part.strip())
        if action is None:
            return None
        name, operand, sign, value = action.groups()
        if operand is not None and operand != name:
            return None
        actions.append((name, operand, sign or "+", value))
    return actions


def _fast_counters() -> None:
    if getattr(DynamoDBBackend.update_item, "_oms_counters", False):
        return

    def update_item(
        self: DynamoDBBackend,
        table_name: str,
        key: dict[str, dict[str, Any]],
        update_expression: str,
        expression_attribute_names: dict[str, Any],
        expression_attribute_values: dict[str, Any],
        attribute_updates: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
        condition_expression: str | None = None,
        return_values_on_condition_check_failure: str | None = None,
    ) -> Any:
        plain = not (attribute_updates or expected or expression_attribute_names)
        actions = _counter_update(update_expression) if plain else None
        table = self.get_table(table_name)
        item = None
        if actions is not None and table.hash_key_attr in key:
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            item = table.get_item(DynamoType(key[table.hash_key_attr]), range_value)
        values = expression_attribute_values or {}
        usable = (
            actions is not None
            and item is not None
            and all(v in values for _, _, _, v in actions)
            and all(
                op is None or (op in item.attrs and item.attrs[op].is_number() and "N" in values[v])
                for _, op, _, v in actions
            )
        )
        if not usable:
            return MOTO_UPDATE_ITEM(
                self,
                table_name,
                key,
                update_expression,
                expression_attribute_names,
                expression_attribute_values,
                attribute_updates,
                expected,
                condition_expression,
                return_values_on_condition_check_failure,
            )
        assert item is not None
        assert actions is not None
        condition = create_condition_expression_parser(
            condition_expression, expression_attribute_names, expression_attribute_values
        ).parse()
        if not condition.expr(item):
            if return_values_on_condition_check_failure == "ALL_OLD":
                raise ConditionalCheckFailed(item=item.to_json()["Attributes"])
            raise ConditionalCheckFailed
        original = _deepcopy(item)
        for name, operand, sign, value in actions:
            given = DynamoType(values[value])
            if operand is None:
                item.attrs[name] = given
            else:
                item.attrs[name] = item.attrs[name] + given if sign == "+" else item.attrs[name] - given
        match = _ARITHMETIC.match(update_expression)
        assert match is not None
        for name in (match.group("remove") or "").replace(" ", "").split(","):
            if name:
                item.attrs.pop(name, None)
        if table.stream_shard is not None:
            table.stream_shard.add(original, item)
        return item

    update_item._oms_counters = True  # type: ignore[attr-defined]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def _partner_bus_names() -> None:
    if getattr(EventsBackend._normalize_event_bus_arn, "_oms_partner_names", False):
        return
    original = EventsBackend._normalize_event_bus_arn

    def normalize(self: EventsBackend, event_bus_arn: str | None) -> str:
        if event_bus_arn and ":event-bus/" in event_bus_arn:
            return event_bus_arn.split(":event-bus/", 1)[1]
        if event_bus_arn and event_bus_arn.startswith("aws.partner/"):
            return event_bus_arn
        return str(original(self, event_bus_arn))

    normalize._oms_partner_names = True  # type: ignore[attr-defined]
    EventsBackend._normalize_event_bus_arn = normalize  # type: ignore[method-assign]


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _replays_as_aws_does() -> None:
    if getattr(Replay.replay_events, "_oms_window", False):
        return
    from moto.core.utils import unix_time
    from moto.events.models import events_backends
    from moto.moto_api._internal import mock_random as random

    def replay_events(self: Replay, archive: Any) -> None:
        bus_name = self.destination["Arn"].split(":event-bus/", 1)[-1]
        wanted = set(self.destination.get("FilterArns") or [])
        start, end = _epoch(self.event_start_time), _epoch(self.event_end_time)
        bus = events_backends[self.account_id][self.region].describe_event_bus(bus_name)
        for event in archive.events:
            if not start <= _epoch(event.get("time")) <= end:
                continue
            for rule in bus.rules.values():
                if wanted and rule.arn not in wanted:
                    continue
                replayed: Any = dict(event, **{"id": str(random.uuid4()), "replay-name": self.name})
                rule.send_to_targets(replayed, transform_input=False)
        self.state = ReplayState.COMPLETED
        self.end_time = unix_time()

    replay_events._oms_window = True  # type: ignore[attr-defined]
    Replay.replay_events = replay_events  # type: ignore[method-assign]


def install() -> None:
    """Idempotent; affects this process's moto (in-process mocks and the embedded server)."""
    _event_envelope_with_account()
    _partner_bus_names()
    _replays_as_aws_does()
    _fast_serializer()
    _fast_counters()
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
