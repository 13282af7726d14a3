"""Bulk jobs on moto (POST /jobs, GET /jobs/{job_id}, POST /jobs/{job_id}/retry): chunked through
the jobs queue, one result per order (its error code when it failed), a dry run that changes
nothing, a redelivered chunk that counts nothing twice, a retry of the failures, a filter."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from oms_local.samples import shopify_delivery, shopify_order, woocommerce_delivery, woocommerce_order
from oms_local.seed import SHOPIFY_STORE, WOO_STORE
from tests.stack import Stack

STORE = "demo-shopify"


def place(stack: Stack, n: int) -> str:
    delivery = shopify_delivery(
        shopify_order(n, skus={"IPOD2009BLACK": 1}),
        store_id=STORE,
        secret=str(SHOPIFY_STORE["webhook_secret"]),
        event_id=f"job-{n}",
    )
    assert stack.send(delivery)[0] == 202
    return f"{STORE}.{n}"


def start(stack: Stack, body: dict[str, Any], key: str | None = None) -> tuple[int, Any]:
    status, _, answer = stack.api.request(
        "POST", "/jobs", body, headers={"idempotency-key": key} if key else None
    )
    return status, answer


def job(stack: Stack, job_id: str, query: str = "") -> Any:
    status, _, answer = stack.api.request("GET", f"/jobs/{job_id}", query=query)
    assert status == 200, answer
    return answer


def test_a_dry_run_says_what_would_happen_to_each_order_and_changes_nothing(shop: Stack) -> None:
    ids = [place(shop, 64_001 + i) for i in range(3)]
    shop.cloud.drain()
    versions = [shop.order(i)["version"] for i in ids]
    status, started = start(
        shop,
        {
            "action": "add_tag",
            "order_ids": [*ids, f"{STORE}.999999"],
            "params": {"tag": "wave-1"},
            "dry_run": True,
        },
    )
    assert status == 202, started
    assert (started["status"], started["total"], started["dry_run"]) == ("running", 4, True)
    shop.cloud.drain()
    done = job(shop, started["job_id"])
    assert (done["status"], done["done"], done["failed"]) == ("done", 3, 1)
    outcomes = {r["order_id"]: (r["outcome"], r.get("code")) for r in done["results"]}
    assert outcomes == {
        **dict.fromkeys(ids, ("would", "add_tag")),
        f"{STORE}.999999": ("failed", "order_not_found"),
    }
    assert [shop.order(i)["version"] for i in ids] == versions
    assert all(shop.order(i)["tags"] == [] for i in ids)


def test_a_job_runs_each_order_once_records_failures_and_retries_them(shop: Stack) -> None:
    ids = [place(shop, 64_101 + i) for i in range(30)]  # two chunks
    shop.cloud.drain()
    missing = f"{STORE}.888888"
    status, started = start(
        shop,
        {"action": "add_tag", "order_ids": [*ids, missing], "params": {"tag": "wave-2"}},
        key="job-wave-2",
    )
    assert status == 202, started
    assert started["job_id"] == "job-wave-2"
    shop.cloud.drain()
    done = job(shop, "job-wave-2", "limit=200")
    assert (done["status"], done["total"], done["done"], done["failed"]) == ("done", 31, 30, 1)
    assert {r["order_id"] for r in done["results"] if r["outcome"] == "succeeded"} == set(ids)
    assert all(shop.order(i)["tags"] == ["wave-2"] for i in ids)
    assert len(shop.events.of_type("OrderTagsChanged")) >= 30
    failed = job(shop, "job-wave-2", "outcome=failed")["results"]
    assert [(r["order_id"], r["code"]) for r in failed] == [(missing, "order_not_found")]

    # the queue delivers a chunk again: nothing runs, nothing is counted twice
    queue = shop.cloud.ref("JobsQueue")
    shop.cloud.clients["sqs"].send_message(
        QueueUrl=queue, MessageBody=json.dumps({"job_id": "job-wave-2", "order_ids": ids[:25], "attempt": 1})
    )
    shop.cloud.drain()
    again = job(shop, "job-wave-2")
    assert (again["done"], again["failed"]) == (30, 1)

    # retry: the failed order runs again as attempt 2 (still missing: still failed, counted once)
    status, _, retried = shop.api.request("POST", "/jobs/job-wave-2/retry")
    assert (status, retried["attempt"], retried["status"], retried["retrying"]) == (202, 2, "running", 1), (
        retried
    )
    shop.cloud.drain()
    after = job(shop, "job-wave-2", "outcome=failed")
    assert (after["status"], after["done"], after["failed"], after["retrying"]) == ("done", 30, 1, 0)
    assert after["results"][0]["attempt"] == 2
    status, _, refused = shop.api.request("POST", "/jobs/job-unknown/retry")
    assert (status, refused["code"]) == (404, "job_not_found")


def test_a_job_over_a_filter_cancels_the_orders_it_lists(shop: Stack) -> None:
    ids = [place(shop, 64_201 + i) for i in range(3)]
    shop.cloud.drain()
    for i in ids:
        status, _, _ = shop.api.request("POST", f"/orders/{i}/tags", {"add": ["cancel-me"]})
        assert status == 200
    shop.cloud.drain()
    # the orders a search finds become the job's list; the filter form lists by store and status
    status, started = start(
        shop,
        {
            "action": "cancel",
            "filter": {"store": STORE, "status": "confirmed"},
            "params": {"reason": "inventory"},
        },
    )
    assert status == 202, started
    assert started["status"] == "planning"
    shop.cloud.drain()
    done = job(shop, started["job_id"], "limit=200")
    assert done["status"] == "done"
    assert done["failed"] == 0
    assert set(ids) <= {r["order_id"] for r in done["results"] if r["outcome"] == "succeeded"}
    assert {shop.order(i)["status"] for i in ids} == {"cancelled"}
    stock = shop.stock("IPOD2009BLACK")
    assert stock["reserved"] >= 0


def test_bad_jobs_are_refused_with_the_field_named(shop: Stack) -> None:
    status, answer = start(shop, {"action": "add_tag", "order_ids": ["x"]})
    assert (status, answer["code"]) == (422, "tag_required")
    status, answer = start(shop, {"action": "cancel"})
    assert (status, answer["code"]) == (422, "orders_required")
    status, answer = start(shop, {"action": "cancel", "filter": {}})
    assert status == 422
    status, answer = start(shop, {"action": "explode", "order_ids": ["x"]})
    assert status == 422
    status, _, answer = shop.api.request("GET", "/jobs/nope")
    assert (status, answer["code"]) == (404, "job_not_found")


def woo_order(stack: Stack, n: int) -> str:
    delivery = woocommerce_delivery(
        woocommerce_order(n, skus={"IPOD2009BLACK": 1, "IPOD2008GREEN": 2}),
        store_id="demo-woo",
        secret=str(WOO_STORE["webhook_secret"]),
    )
    assert stack.send(delivery)[0] == 202
    return f"demo-woo.{n}"


def document(stack: Stack, done: Any) -> str:
    """The job's file, read from the export bucket its presigned URL points into."""
    assert done["document_url"]
    key = done["document_url"].split("?")[0].split("/exports/", 1)[1]
    s3, bucket = stack.cloud.clients["s3"], stack.cloud.ref("ExportBucket")
    return str(s3.get_object(Bucket=bucket, Key=f"exports/{key}")["Body"].read().decode("utf-8-sig"))


def test_a_pick_list_job_prints_every_open_shipment_in_one_document(full_shop: Stack) -> None:
    stack = full_shop
    ids = [woo_order(stack, 66_001 + i) for i in range(2)]
    stack.cloud.drain()
    shipments = [s for i in ids for s in stack.api("GET", f"/orders/{i}/shipments")[1]["shipments"]]
    assert shipments
    assert {s["status"] for s in shipments} == {"pending"}
    status, started = start(stack, {"action": "print_pick_lists", "order_ids": [*ids, "demo-woo.404"]})
    assert status == 202, started
    stack.cloud.drain()
    done = job(stack, started["job_id"])
    assert (done["status"], done["done"], done["failed"]) == ("done", 2, 1)
    html = document(stack, done)
    assert html.startswith("<!doctype html>")
    assert html.count('<section class="page">') == len(shipments)
    for s in shipments:
        assert s["shipment_id"] in html
    assert "IPOD2008GREEN" in html


def test_an_export_job_writes_its_orders_rows(shop: Stack) -> None:
    ids = [place(shop, 64_301 + i) for i in range(3)]
    shop.cloud.drain()
    status, started = start(shop, {"action": "export", "order_ids": ids})
    assert status == 202, started
    shop.cloud.drain()
    done = job(shop, started["job_id"])
    assert done["status"] == "done"
    rows = list(csv.DictReader(io.StringIO(document(shop, done))))
    assert sorted(r["order_id"] for r in rows) == sorted(ids)
