"""Event sources, as Lambda's pollers run them: SQS and DynamoDB stream event source mappings,
EventBridge rules that target functions, and schedules. Each has ``poll_once`` (the tests drive
them synchronously) and the runner runs them in threads."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from oms_local.invoke import Invoker, InvokeResult
from oms_local.lambda_events import scheduled_event, sqs_record, stream_record
from oms_local.patterns import matches
from oms_local.template import Stack

log = logging.getLogger("oms_local")


def _failures(result: InvokeResult) -> list[str] | None:
    """Item identifiers a partial-batch response reports, or None when it reports none."""
    if not result.ok or not isinstance(result.value, dict):
        return None
    items = result.value.get("batchItemFailures")
    if items is None:
        return None
    return [str(i.get("itemIdentifier")) for i in items]


@dataclass
class SqsSource:
    """An SQS event source mapping: receive, invoke, delete what succeeded."""

    name: str
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    window_seconds: float = 0.0
    report_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    fast_retry: bool = False  # tests: a failed message is visible again at once
    sqs: Any = None
    invoker: Invoker | None = None
    fifo: bool = False

    def poll_once(self, wait_seconds: int = 0) -> int:
        assert self.sqs is not None
        assert self.invoker is not None
        messages: list[dict[str, Any]] = []
        # Lambda does not wait for a batch on FIFO queues; tests (fast_retry) never wait.
        window = 0 if self.fifo or self.fast_retry else self.window_seconds
        deadline = time.monotonic() + window
        while len(messages) < self.batch_size:
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=wait_seconds if not messages else 0,
                )
            except ClientError as error:
                # Lambda's poller backs off and polls again; what it had received is processed.
                log.warning("%s: receive failed (%s); polling again", self.function, _code(error))
                break
            got = response.get("Messages", [])
            messages += got
            if not got and (not messages or time.monotonic() >= deadline):
                break
            if time.monotonic() >= deadline and messages:
                break
            if not got:
                time.sleep(0.05)
        if not messages:
            return 0
        records = [sqs_record(m, self.queue_arn) for m in messages]
        if self.filters:
            kept = [r for r in records if any(matches(f, _filterable(r)) for f in self.filters)]
            dropped = [r for r in records if r not in kept]
            self._delete(dropped)  # Lambda deletes messages that match no filter
            records = kept
            if not records:
                return len(messages)
        result = self.invoker.invoke(self.function, {"Records": records})
        failed_ids = _failures(result) if self.report_failures else None
        if not result.ok:
            failed = records
        elif failed_ids is None:
            failed = []
        else:
            failed = [r for r in records if r["messageId"] in set(failed_ids)]
        self._delete([r for r in records if r not in failed])
        if failed and self.fast_retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0}
                    for i, r in enumerate(failed)
                ],
            )
        if failed:
            log.warning(
                "%s: %d of %d message(s) failed: %s",
                self.function,
                len(failed),
                len(records),
                result.error or "reported by the function",
            )
        return len(messages)

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            if not chunk:
                continue
            try:
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                    ],
                )
            except ClientError as error:
                # As in AWS: undeleted messages come back after their visibility timeout and are
                # processed again (at once in tests), which handlers must take in their stride.
                log.warning(
                    "%s: delete failed (%s); messages will be redelivered", self.function, _code(error)
                )
                if self.fast_retry:
                    with contextlib.suppress(ClientError):
                        self.sqs.change_message_visibility_batch(
                            QueueUrl=self.queue_url,
                            Entries=[
                                {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0}
                                for i, r in enumerate(chunk)
                            ],
                        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "error"))


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS records on their fields, with a JSON body parsed."""
    out = dict(record)
    with contextlib.suppress(ValueError, TypeError):
        out["body"] = json.loads(record["body"])
    return out


def trim_when_all_read(sources: list[Any], trim: Callable[[str, str], None]) -> None:
    """Let each stream's records go once every reader of that stream has checkpointed past them
    (the publisher and the search indexer both read the table's stream)."""
    readers = [s for s in sources if isinstance(s, StreamSource)]

    def on_checkpoint(stream_arn: str, _sequence: str) -> None:
        mine = [s for s in readers if s.stream_arn == stream_arn]
        for shard in {sid for s in mine for sid in s.checkpoints}:
            read = [s.checkpoints.get(shard) for s in mine]
            if all(read):
                trim(stream_arn, min((r for r in read if r), key=int))

    for source in readers:
        source.on_checkpoint = on_checkpoint


@dataclass
class StreamSource:
    """A DynamoDB stream event source mapping: in order per shard, retries, bisect, on-failure."""

    name: str
    function: str
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    report_failures: bool = False
    max_retries: int = -1
    bisect: bool = False
    on_failure_url: str | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)
    retry_delay: float = 0.2
    streams: Any = None
    sqs: Any = None
    invoker: Invoker | None = None
    checkpoints: dict[str, str] = field(default_factory=dict)
    on_checkpoint: Callable[[str, str], None] | None = None  # (stream arn, sequence) after each batch

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Read each shard from its checkpoint (the last sequence number handled), as Lambda's
        poller does; a fresh iterator per poll also survives moto replacing a table's stream
        shard when it rolls back a failed transaction."""
        assert self.streams is not None
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        delivered = 0
        for shard in shards:
            sid = shard["ShardId"]
            checkpoint = self.checkpoints.get(sid)
            kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": sid}
            if checkpoint is None:
                kwargs["ShardIteratorType"] = self.starting_position
            else:
                kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=checkpoint)
            iterator = self.streams.get_shard_iterator(**kwargs)["ShardIterator"]
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            raw = response.get("Records", [])
            if not raw:
                continue
            records = [stream_record(r, self.stream_arn) for r in raw]
            if self.filters:
                records = [r for r in records if any(matches(f, r) for f in self.filters)]
            if records:
                self._deliver(sid, records)
                delivered += len(records)
            self.checkpoints[sid] = raw[-1]["dynamodb"]["SequenceNumber"]
            if self.on_checkpoint:
                self.on_checkpoint(self.stream_arn, self.checkpoints[sid])
            delivered += len(raw) - len(records)
        return delivered

    def _deliver(self, shard: str, records: list[dict[str, Any]]) -> None:
        assert self.invoker is not None
        attempts = 0
        batch = records
        while batch:
            result = self.invoker.invoke(self.function, {"Records": batch})
            failed = _failures(result) if self.report_failures else None
            if result.ok and not failed:
                return
            if result.ok and failed:
                first = min(
                    (i for i, r in enumerate(batch) if r["dynamodb"].get("SequenceNumber") in set(failed)),
                    default=0,
                )
                batch = batch[first:]  # retry from the first failed record, in order
            attempts += 1
            if self.max_retries >= 0 and attempts > self.max_retries:
                self._give_up(shard, batch, result)
                return
            if self.bisect and not result.ok and len(batch) > 1:
                half = len(batch) // 2
                self._deliver(shard, batch[:half])
                self._deliver(shard, batch[half:])
                return
            time.sleep(self.retry_delay)

    def _give_up(self, shard: str, batch: list[dict[str, Any]], result: InvokeResult) -> None:
        log.error("%s: giving up on %d stream record(s): %s", self.function, len(batch), result.error)
        if not self.on_failure_url or self.sqs is None:
            return
        seqs = [r["dynamodb"].get("SequenceNumber") for r in batch]
        self.sqs.send_message(
            QueueUrl=self.on_failure_url,
            MessageBody=json.dumps(
                {
                    "requestContext": {
                        "requestId": str(uuid.uuid4()),
                        "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount": self.max_retries + 1,
                    },
                    "responseContext": {
                        "statusCode": 200,
                        "functionError": "Unhandled" if not result.ok else None,
                    },
                    "timestamp": datetime.now(UTC).isoformat(),
                    "DDBStreamBatchInfo": {
                        "shardId": shard,
                        "startSequenceNumber": seqs[0],
                        "endSequenceNumber": seqs[-1],
                        "batchSize": len(batch),
                        "streamArn": self.stream_arn,
                    },
                }
            ),
        )


@dataclass
class RuleTarget:
    """An EventBridge rule whose target is a function: moto matches and delivers to a tap queue,
    this invokes the function asynchronously (two retries, as Lambda does)."""

    name: str
    function: str
    queue_url: str
    max_attempts: int = 3
    sqs: Any = None
    invoker: Invoker | None = None

    def poll_once(self, wait_seconds: int = 0) -> int:
        assert self.sqs is not None
        assert self.invoker is not None
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["ApproximateReceiveCount"],
            WaitTimeSeconds=wait_seconds,
        )
        messages = response.get("Messages", [])
        for message in messages:
            result = self.invoker.invoke(self.function, json.loads(message["Body"]))
            attempts = int(message["Attributes"].get("ApproximateReceiveCount", "1"))
            if result.ok or attempts >= self.max_attempts:
                if not result.ok:
                    log.error(
                        "%s: event dropped after %d attempts: %s", self.function, attempts, result.error
                    )
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=1
                )
        return len(messages)


def function_by_name(stack: Stack) -> dict[str, str]:
    return {str(stack.refs[lid]): lid for lid in stack.of_type("AWS::Lambda::Function") if lid in stack.refs}


def logical_function(stack: Stack, value: str) -> str:
    """A FunctionName / target ARN -> the function's logical id."""
    names = function_by_name(stack)
    name = value.split(":function:")[-1].split(":")[0]
    return names.get(name, name)


def event_source_mappings(
    stack: Stack,
    invoker: Invoker,
    clients: dict[str, Any],
    *,
    fast_retry: bool = False,
    time_scale: float = 1.0,
) -> list[SqsSource | StreamSource]:
    queues = {
        attrs.get("Arn"): attrs
        for lid, attrs in stack.attrs.items()
        if stack.resources.get(lid, {}).get("Type") == "AWS::SQS::Queue"
    }
    sources: list[SqsSource | StreamSource] = []
    for lid, resource in stack.of_type("AWS::Lambda::EventSourceMapping").items():
        p = stack.resolve(resource["Properties"])
        if str(p.get("Enabled", True)).lower() == "false":
            continue
        function = logical_function(stack, p["FunctionName"])
        arn = p["EventSourceArn"]
        filters = [json.loads(f["Pattern"]) for f in (p.get("FilterCriteria") or {}).get("Filters", [])]
        reports = "ReportBatchItemFailures" in p.get("FunctionResponseTypes", [])
        if arn in queues:
            q = queues[arn]
            sources.append(
                SqsSource(
                    name=lid,
                    function=function,
                    queue_url=q["QueueUrl"],
                    queue_arn=arn,
                    batch_size=int(p.get("BatchSize", 10)),
                    window_seconds=float(p.get("MaximumBatchingWindowInSeconds", 0)) / time_scale,
                    report_failures=reports,
                    filters=filters,
                    fast_retry=fast_retry,
                    sqs=clients["sqs"],
                    invoker=invoker,
                    fifo=q["QueueName"].endswith(".fifo"),
                )
            )
        elif ":dynamodb:" in arn and "/stream/" in arn:
            on_failure = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            sources.append(
                StreamSource(
                    name=lid,
                    function=function,
                    stream_arn=arn,
                    batch_size=int(p.get("BatchSize", 100)),
                    starting_position=p.get("StartingPosition", "TRIM_HORIZON"),
                    report_failures=reports,
                    max_retries=int(p.get("MaximumRetryAttempts", -1)),
                    bisect=str(p.get("BisectBatchOnFunctionError", False)).lower() == "true",
                    on_failure_url=queues[on_failure]["QueueUrl"] if on_failure in queues else None,
                    filters=filters,
                    retry_delay=0.0 if fast_retry else 0.2,
                    streams=clients["dynamodbstreams"],
                    sqs=clients["sqs"],
                    invoker=invoker,
                )
            )
        else:
            raise ValueError(f"{lid}: event source {arn} is not supported locally")
    return sources


@dataclass
class Schedule:
    name: str
    function: str
    rule_arn: str
    expression: str
    input: str | None = None

    def event(self, at: datetime | None = None) -> dict[str, Any]:
        if self.input:
            parsed: dict[str, Any] = json.loads(self.input)
            return parsed
        return scheduled_event(self.rule_arn, at)


def schedules(stack: Stack) -> list[Schedule]:
    out: list[Schedule] = []
    for lid, resource in stack.of_type("AWS::Events::Rule").items():
        p = stack.resolve(resource["Properties"])
        if not p.get("ScheduleExpression") or p.get("State", "ENABLED") != "ENABLED":
            continue
        for target in p.get("Targets", []):
            if ":function:" in target["Arn"]:
                out.append(
                    Schedule(
                        lid,
                        logical_function(stack, target["Arn"]),
                        stack.attrs[lid]["Arn"],
                        p["ScheduleExpression"],
                        target.get("Input"),
                    )
                )
    return out
