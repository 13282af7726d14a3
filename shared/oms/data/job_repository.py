"""Bulk jobs in the single table: ``JOB#<job_id> / JOB`` (the job, its counters as numbers for
atomic ``ADD``; GSI1 ``JOBS`` newest first) and ``JOB#<job_id> / RESULT#<order_id>`` (one per order).

A chunk's results go in one transaction with the counters' update, each result conditioned on what
the worker read (absent, or the earlier attempt it replaces), so a result is counted once however
often its chunk is delivered."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.bulk_jobs import Job, JobResult, Outcome
from oms.data import table_keys as keys
from oms.data.dynamo_table import Page, Table, TransactionCancelled, decode_cursor, encode_cursor
from oms.errors import ConcurrentModification, NotFound, ServiceUnavailable
from oms.timeutil import iso

SPEC_FIELDS = ("action", "params", "dry_run", "order_filter", "actor", "created_at")


def _job_item(job: Job) -> dict[str, Any]:
    spec = job.model_dump(mode="json", include=set(SPEC_FIELDS), by_alias=True)
    item: dict[str, Any] = {
        "PK": {"S": keys.job_pk(job.job_id)},
        "SK": {"S": keys.JOB_SK},
        "entity": {"S": "job"},
        "GSI1PK": {"S": keys.JOBS},
        "GSI1SK": {"S": f"{iso(job.created_at)}#{job.job_id}"},
        "spec": {"S": json.dumps(spec, separators=(",", ":"))},
        "done": {"N": "0"},
        "failed": {"N": "0"},
        "retrying": {"N": "0"},
        "attempt": {"N": str(job.attempt)},
        "updated_at": {"S": iso(job.updated_at)},
    }
    if job.total is not None:
        item["total"] = {"N": str(job.total)}
    return item


def _job(item: dict[str, Any]) -> Job:
    spec = json.loads(item["spec"]["S"])
    return Job.model_validate(
        {
            **spec,
            "job_id": item["PK"]["S"].removeprefix("JOB#"),
            "total": int(item["total"]["N"]) if "total" in item else None,
            "done": int(item["done"]["N"]),
            "failed": int(item["failed"]["N"]),
            "retrying": int(item.get("retrying", {"N": "0"})["N"]),
            "attempt": int(item["attempt"]["N"]),
            "updated_at": item["updated_at"]["S"],
            "document": item.get("document", {}).get("S"),
        }
    )


def _result_item(job_id: str, result: JobResult) -> dict[str, Any]:
    item = {
        "PK": {"S": keys.job_pk(job_id)},
        "SK": {"S": keys.result_sk(result.order_id)},
        "order_id": {"S": result.order_id},
        "outcome": {"S": result.outcome.value},
        "attempt": {"N": str(result.attempt)},
        "at": {"S": iso(result.at)},
    }
    if result.code:
        item["code"] = {"S": result.code}
    if result.message:
        item["message"] = {"S": result.message[:500]}
    return item


def _result(item: dict[str, Any]) -> JobResult:
    return JobResult(
        order_id=item["order_id"]["S"],
        outcome=Outcome(item["outcome"]["S"]),
        code=item.get("code", {}).get("S"),
        message=item.get("message", {}).get("S"),
        attempt=int(item["attempt"]["N"]),
        at=item["at"]["S"],
    )


class JobRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def create(self, job: Job) -> Job:
        """Write a new job; a job of that id already there is returned as it stands."""
        try:
            self.table.ddb.put_item(
                TableName=self.table.name, Item=_job_item(job), ConditionExpression="attribute_not_exists(PK)"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise ServiceUnavailable("the job could not be written; try again") from exc
            return self.get(job.job_id)
        return job

    def find(self, job_id: str) -> Job | None:
        item = self.table.get(keys.job_pk(job_id), keys.JOB_SK)
        return _job(item) if item else None

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}", code="job_not_found")
        return job

    def set_total(self, job_id: str, total: int) -> bool:
        """The filter's orders, counted once (False: a redelivered plan found it counted)."""
        return self.table.update_if(
            keys.job_pk(job_id),
            keys.JOB_SK,
            update="SET #t = :t",
            condition="attribute_not_exists(#t)",
            values={":t": {"N": str(total)}},
            names={"#t": "total"},
        )

    def next_attempt(self, job: Job, failed: int) -> bool:
        """Attempt n+1: the ``failed`` orders move to ``retrying`` (False: another retry won)."""
        return self.table.update_if(
            keys.job_pk(job.job_id),
            keys.JOB_SK,
            update="SET #a = :next ADD #f :minus, #r :n",
            condition="#a = :now",
            names={"#a": "attempt", "#f": "failed", "#r": "retrying"},
            values={
                ":now": {"N": str(job.attempt)},
                ":next": {"N": str(job.attempt + 1)},
                ":minus": {"N": str(-failed)},
                ":n": {"N": str(failed)},
            },
        )

    def set_document(self, job_id: str, key: str, attempt: int) -> None:
        self.table.update_if(
            keys.job_pk(job_id),
            keys.JOB_SK,
            update="SET #doc = :k",
            condition="#a = :a",
            values={":k": {"S": key}, ":a": {"N": str(attempt)}},
            names={"#doc": "document", "#a": "attempt"},
        )

    def results_of(self, job_id: str, order_ids: list[str]) -> dict[str, JobResult]:
        items = self.table.batch_get([(keys.job_pk(job_id), keys.result_sk(o)) for o in order_ids])
        return {r.order_id: r for r in map(_result, items)}

    def record(
        self,
        job_id: str,
        entries: list[tuple[JobResult | None, JobResult]],
        *,
        done: int,
        failed: int,
        retrying: int = 0,
    ) -> None:
        """The results (each replacing what was read: nothing, or an earlier attempt) and the
        counters' change, all or nothing; ConcurrentModification when another delivery got there."""
        items: list[dict[str, Any]] = []
        for previous, result in entries:
            put: dict[str, Any] = {"Item": _result_item(job_id, result)}
            if previous is None:
                put["ConditionExpression"] = "attribute_not_exists(PK)"
            else:
                put["ConditionExpression"] = "#a = :a AND #o = :o"
                put["ExpressionAttributeNames"] = {"#a": "attempt", "#o": "outcome"}
                put["ExpressionAttributeValues"] = {
                    ":a": {"N": str(previous.attempt)},
                    ":o": {"S": previous.outcome.value},
                }
            items.append({"Put": put})
        at = max(r.at for _, r in entries)
        items.append(
            {
                "Update": {
                    "Key": {"PK": {"S": keys.job_pk(job_id)}, "SK": {"S": keys.JOB_SK}},
                    "UpdateExpression": "ADD #d :d, #f :f, #r :r SET updated_at = :u",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeNames": {"#d": "done", "#f": "failed", "#r": "retrying"},
                    "ExpressionAttributeValues": {
                        ":d": {"N": str(done)},
                        ":f": {"N": str(failed)},
                        ":r": {"N": str(retrying)},
                        ":u": {"S": iso(at)},
                    },
                }
            }
        )
        try:
            self.table.transact(items)
        except TransactionCancelled as exc:
            raise ConcurrentModification(
                f"job {job_id}: another delivery recorded some of these results"
            ) from exc
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable("the job's results could not be written; try again") from exc

    def results(self, job_id: str, *, outcome: Outcome | None, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :r)",
            "ExpressionAttributeValues": {":pk": {"S": keys.job_pk(job_id)}, ":r": {"S": keys.RESULT_PREFIX}},
            "Limit": limit,
        }
        if outcome is not None:
            kwargs["FilterExpression"] = "#o = :o"
            kwargs["ExpressionAttributeNames"] = {"#o": "outcome"}
            kwargs["ExpressionAttributeValues"][":o"] = {"S": outcome.value}
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        found: list[dict[str, Any]] = []
        while True:
            response = self.table.query(**kwargs)
            found += [
                _result(i).model_dump(mode="json", exclude_none=True) for i in response.get("Items", [])
            ]
            last = response.get("LastEvaluatedKey")
            if not last or len(found) >= limit:
                return Page(items=found, cursor=encode_cursor(last) if last else None)
            kwargs["ExclusiveStartKey"] = last
            kwargs["Limit"] = limit - len(found)

    def orders_with(self, job_id: str, outcome: Outcome) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            page = self.results(job_id, outcome=outcome, limit=1000, cursor=cursor)
            ids += [r["order_id"] for r in page.items]
            if not page.cursor:
                return ids
            cursor = page.cursor
