"""Order changes too large for one DynamoDB transaction (100 items), committed in stages that stay
exactly-once and all-or-nothing from the outside.

A change is the order's new item, its stock moves (one per SKU, or per SKU and location) and the
shipment items it writes. When they fit one transaction they go in one (oms.data.order_repository).
Otherwise, with an operation record ``ORDER#<id> / OP#<op>`` that holds the whole change:

1. **begin** (one transaction): put the operation record; lock the order item and every shipment
   the change rewrites (``pending_op = <op>``, conditioned on their versions). Every other writer
   of an order or a shipment conditions on ``attribute_not_exists(pending_op)``, so nothing else
   changes them until the operation ends.
2. **apply** the moves in chunks of 99, each chunk in a transaction with the record's counter
   (``applied = i + 1`` if ``applied = i``): a chunk is applied exactly once, whoever applies it.
   Moves that can be refused (reserve, allocate) come first.
3. **finish** (one transaction): the order's new item (its outbox carries the change's events), the
   shipments, and the record's deletion. The locks go with the new items.

If a chunk is refused (a SKU is short, a location's stock changed), the operation **compensates**:
the chunks already applied are undone in reverse (release what was reserved, deallocate what was
allocated), each again counted on the record, then the locks are dropped and the record deleted
(**abort**): nothing happened. The caller gets the shortage (or a concurrent change) and decides
again, exactly as when a single transaction is refused.

Any process that finds a lock finishes (or aborts) the operation from its record before it reads
on (``resume``): a crash between any two steps is completed by the redelivered message, by the next
reader, or by the scheduled sweep of operations left behind (``stale``, GSI2 ``OPS``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from oms.data import table_keys as keys
from oms.data.dynamo_table import Table, TransactionCancelled
from oms.data.item_codec import pack, to_attr, unpack
from oms.data.stock_repository import StockDelta, delta_update, shortage
from oms.errors import ConcurrentModification
from oms.models import ShortLine
from oms.timeutil import iso, parse_iso

CHUNK = 99  # stock items per transaction, beside the operation record's counter
_ATTEMPTS = 6


def op_sk(op_id: str) -> str:
    """The operation's body: the whole change, written once at begin and deleted at the end."""
    return f"OP#{op_id}"


def state_sk(op_id: str) -> str:
    """The operation's small state item (phase, chunks applied): what each step conditions on and
    rewrites, so a step's write costs a unit, not the size of the whole change."""
    return f"OP#{op_id}#state"


def new_op_id() -> str:
    return uuid.uuid4().hex[:20]


@dataclass(frozen=True)
class Lock:
    """An item the operation rewrites: locked at begin, conditioned on its current version."""

    pk: str
    sk: str
    version: int | None  # None: the item is created by the operation (the order's placeholder)


@dataclass(frozen=True)
class Outcome:
    finished: bool
    short: list[ShortLine]
    refused: bool = False  # a move was refused for another reason (a location's stock changed)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__b64__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class StagedCommit:
    def __init__(self, table: Table) -> None:
        self.table = table

    # ------------------------------------------------------------------ starting
    def commit(
        self,
        order_id: str,
        *,
        op_id: str,
        locks: list[Lock],
        placeholder: dict[str, Any] | None,
        deltas: list[StockDelta],
        final: list[dict[str, Any]],
        at: datetime,
    ) -> Outcome:
        """Run one operation to its end. ``placeholder``: for a new order, the item that stands for
        it (locked) until the operation finishes; ``locks``: the order first, then the shipments it
        rewrites; ``final``: the transaction items of the last step (the order's new item first),
        conditioned on holding the lock (``pending_op = <op_id>``)."""
        if len(final) + 2 > 100 or len(locks) + 2 > 100:
            raise ValueError("an operation's first and last steps must each fit one transaction")
        state = {
            "PK": {"S": keys.order_pk(order_id)},
            "SK": {"S": state_sk(op_id)},
            "entity": {"S": "order_op_state"},
            "phase": {"S": "apply"},
            "applied": {"N": "0"},
            "chunks": {"N": str(-(-len(deltas) // CHUNK))},
        }
        record = {
            "PK": {"S": keys.order_pk(order_id)},
            "SK": {"S": op_sk(op_id)},
            "entity": {"S": "order_op"},
            "op_id": {"S": op_id},
            "order_id": {"S": order_id},
            "deltas": {"B": pack([d.record() for d in deltas])},
            "final": {"B": pack(_encode(final))},
            "locks": {"B": pack([[lock.pk, lock.sk] for lock in locks])},
            "created_new": {"BOOL": placeholder is not None},
            "started_at": {"S": iso(at)},
            "GSI2PK": {"S": keys.STAGED_OPS},
            "GSI2SK": {"S": f"{iso(at)}#{order_id}#{op_id}"},
        }
        items: list[dict[str, Any]] = [
            {"Put": {"Item": record, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"Item": state, "ConditionExpression": "attribute_not_exists(PK)"}},
        ]
        if placeholder is not None:
            item = {**placeholder, "pending_op": {"S": op_id}}
            items.append({"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}})
        for lock in locks:
            if lock.version is None:
                continue
            items.append(
                {
                    "Update": {
                        "Key": {"PK": {"S": lock.pk}, "SK": {"S": lock.sk}},
                        "UpdateExpression": "SET pending_op = :op",
                        "ConditionExpression": "version = :v AND attribute_not_exists(pending_op)",
                        "ExpressionAttributeValues": {":op": {"S": op_id}, ":v": to_attr(lock.version)},
                    }
                }
            )
        try:
            self.table.transact(items, token=_token(op_id, "begin"))
        except TransactionCancelled as cancelled:
            raise ConcurrentModification(order_id) from cancelled
        return self.resume(order_id, op_id)

    # ------------------------------------------------------------------ running
    def resume(self, order_id: str, op_id: str) -> Outcome:
        """Drive the operation to its end (finished, or aborted after compensation) from its
        record; safe to run by several processes at once and after any crash."""
        record: dict[str, Any] | None = None
        for _ in range(200):
            if record is None:  # read again only when another process (or a refusal) moved it on
                record = self._read(order_id, op_id)
                if record is None:
                    return Outcome(finished=True, short=[])  # somebody else ended it
                deltas = [StockDelta.from_record(d) for d in unpack(record["deltas"]["B"])]
            phase = record["phase"]["S"]
            applied, chunks = int(record["applied"]["N"]), int(record["chunks"]["N"])
            if phase == "apply" and applied < chunks:
                advanced = self._apply(order_id, op_id, deltas, applied, at=_started(record))
                step = 1
            elif phase == "apply":
                if self._finish(order_id, op_id, record):
                    return Outcome(finished=True, short=[])
                advanced, step = False, 0
            elif applied > 0:
                advanced = self._undo(order_id, op_id, deltas, applied, at=_started(record))
                step = -1
            else:
                return self._abort(order_id, op_id, record)
            if advanced:
                record["applied"] = {"N": str(applied + step)}
            else:
                record = None
        raise ConcurrentModification(f"operation {op_id} on {order_id} did not settle")

    def _apply(self, order_id: str, op_id: str, deltas: list[StockDelta], i: int, *, at: datetime) -> bool:
        """Chunk ``i`` applied (True), or not: moved on by another process, or refused (then the
        record is turned to compensating)."""
        chunk = deltas[i * CHUNK : (i + 1) * CHUNK]
        items = [_counter(order_id, op_id, "apply", i, i + 1), *[delta_update(d, at) for d in chunk]]
        try:
            self._transact(items, _token(op_id, f"apply:{i}"))
        except TransactionCancelled as cancelled:
            if _refused(cancelled, 0):
                return False  # the record moved on (another process applied this chunk): read it again
            failed = [
                (delta, reason)
                for delta, reason in zip(chunk, cancelled.reasons[1:], strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            ]
            if any(not delta.refusable for delta, _ in failed):
                raise RuntimeError(f"stock invariant broken in operation {op_id}") from cancelled
            short = shortage(failed)
            refused = len(short) < len(failed)
            # Switch to compensating, unless another process moved the record on meanwhile.
            self.table.update_if(
                keys.order_pk(order_id),
                state_sk(op_id),
                update="SET phase = :c, short = :s, refused = :r",
                condition="phase = :a AND applied = :i",
                values={
                    ":c": {"S": "compensate"},
                    ":a": {"S": "apply"},
                    ":i": to_attr(i),
                    ":s": {"S": json.dumps([s.model_dump(mode="json") for s in short])},
                    ":r": {"BOOL": refused},
                },
            )
            return False
        return True

    def _undo(
        self, order_id: str, op_id: str, deltas: list[StockDelta], applied: int, *, at: datetime
    ) -> bool:
        j = applied - 1
        chunk = deltas[j * CHUNK : (j + 1) * CHUNK]
        items = [
            _counter(order_id, op_id, "compensate", applied, j),
            *[delta_update(d.inverse(), at) for d in chunk],
        ]
        try:
            self._transact(items, _token(op_id, f"undo:{j}"))
        except TransactionCancelled as cancelled:
            if _refused(cancelled, 0):
                return False
            raise RuntimeError(f"stock invariant broken while undoing operation {op_id}") from cancelled
        return True

    def _finish(self, order_id: str, op_id: str, record: dict[str, Any]) -> bool:
        final = _decode(unpack(record["final"]["B"]))
        delete = {
            "Delete": {
                "Key": {"PK": {"S": keys.order_pk(order_id)}, "SK": {"S": state_sk(op_id)}},
                "ConditionExpression": "phase = :a AND applied = chunks",
                "ExpressionAttributeValues": {":a": {"S": "apply"}},
            }
        }
        body = {"Delete": {"Key": {"PK": {"S": keys.order_pk(order_id)}, "SK": {"S": op_sk(op_id)}}}}
        try:
            self._transact([delete, body, *final], _token(op_id, "finish"))
        except TransactionCancelled as cancelled:
            if _refused(cancelled, 0):
                return False  # not as we last read it: read it again (ended, or still applying)
            raise RuntimeError(f"operation {op_id} could not finish: {cancelled.codes()}") from cancelled
        return True

    def _abort(self, order_id: str, op_id: str, record: dict[str, Any]) -> Outcome:
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "Key": {"PK": {"S": keys.order_pk(order_id)}, "SK": {"S": state_sk(op_id)}},
                    "ConditionExpression": "phase = :c AND applied = :z",
                    "ExpressionAttributeValues": {":c": {"S": "compensate"}, ":z": to_attr(0)},
                }
            },
            {"Delete": {"Key": {"PK": {"S": keys.order_pk(order_id)}, "SK": {"S": op_sk(op_id)}}}},
        ]
        created_new = bool(record.get("created_new", {}).get("BOOL"))
        for n, (pk, sk) in enumerate(unpack(record["locks"]["B"])):
            key = {"PK": {"S": pk}, "SK": {"S": sk}}
            condition = {
                "ConditionExpression": "pending_op = :op",
                "ExpressionAttributeValues": {":op": {"S": op_id}},
            }
            if created_new and n == 0:
                items.append({"Delete": {"Key": key, **condition}})  # the new order's placeholder
            else:
                items.append({"Update": {"Key": key, "UpdateExpression": "REMOVE pending_op", **condition}})
        try:
            self._transact(items, _token(op_id, "abort"))
        except TransactionCancelled as cancelled:
            if not _refused(cancelled, 0):
                raise RuntimeError(f"operation {op_id} could not abort: {cancelled.codes()}") from cancelled
        short = [ShortLine.model_validate(s) for s in json.loads(record.get("short", {}).get("S") or "[]")]
        return Outcome(finished=False, short=short, refused=bool(record.get("refused", {}).get("BOOL")))

    def _read(self, order_id: str, op_id: str) -> dict[str, Any] | None:
        """The operation's body and state as one record (one query), or None once it has ended."""
        response = self.table.query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :op)",
            ExpressionAttributeValues={":pk": {"S": keys.order_pk(order_id)}, ":op": {"S": op_sk(op_id)}},
            ConsistentRead=True,
        )
        items = {i["SK"]["S"]: i for i in response.get("Items", [])}
        body, state = items.get(op_sk(op_id)), items.get(state_sk(op_id))
        if body is None or state is None:
            return None
        return {**body, **{k: v for k, v in state.items() if k not in ("PK", "SK", "entity")}}

    # ------------------------------------------------------------------ sweeping
    def stale(self, now: datetime, *, older_than: timedelta, limit: int = 50) -> list[tuple[str, str]]:
        """(order id, op id) of operations started before ``now - older_than`` and not ended."""
        response = self.table.query(
            IndexName=keys.GSI_BY_STATUS,
            KeyConditionExpression="GSI2PK = :pk AND GSI2SK < :before",
            ExpressionAttributeValues={
                ":pk": {"S": keys.STAGED_OPS},
                ":before": {"S": iso(now - older_than)},
            },
            Limit=limit,
        )
        found = []
        for item in response.get("Items", []):
            _, order_id, op_id = item["GSI2SK"]["S"].rsplit("#", 2)
            found.append((order_id, op_id))
        return found

    # ------------------------------------------------------------------ helpers
    def _transact(self, items: list[dict[str, Any]], token: str) -> None:
        """One step's transaction, retried while it only conflicts with other writers."""
        for attempt in range(_ATTEMPTS):
            try:
                self.table.transact(items, token=token)
                return
            except TransactionCancelled as cancelled:
                if not cancelled.conflicted or attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(min(0.05 * 2**attempt, 0.5))


def _counter(order_id: str, op_id: str, phase: str, current: int, to: int) -> dict[str, Any]:
    return {
        "Update": {
            "Key": {"PK": {"S": keys.order_pk(order_id)}, "SK": {"S": state_sk(op_id)}},
            "UpdateExpression": "SET applied = :to",
            "ConditionExpression": "phase = :phase AND applied = :now",
            "ExpressionAttributeValues": {
                ":to": to_attr(to),
                ":now": to_attr(current),
                ":phase": {"S": phase},
            },
        }
    }


def _refused(cancelled: TransactionCancelled, index: int) -> bool:
    codes = cancelled.codes()
    return len(codes) > index and codes[index] == "ConditionalCheckFailed"


def _started(record: dict[str, Any]) -> datetime:
    return parse_iso(record["started_at"]["S"])


def _token(op_id: str, step: str) -> str:
    return hashlib.sha256(f"{op_id}:{step}".encode()).hexdigest()[:36]
