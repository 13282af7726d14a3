"""POST /exports and GET /exports/{export_id} on moto: the filter's orders as a UTF-8 CSV in the
export bucket (encrypted, public access blocked, expiring after 7 days), one row per order or per
line, spreadsheet-safe, and a presigned URL once it is ready."""

from __future__ import annotations

import csv
import io
from typing import Any

from oms.order_export import safe_cell
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE
from tests.stack import Stack

STORE = "demo-shopify"


def place(stack: Stack, n: int, skus: dict[str, int]) -> str:
    delivery = shopify_delivery(
        shopify_order(n, skus=skus),
        store_id=STORE,
        secret=str(SHOPIFY_STORE["webhook_secret"]),
        event_id=f"exp-{n}",
    )
    assert stack.send(delivery)[0] == 202
    return f"{STORE}.{n}"


def export(stack: Stack, body: dict[str, Any]) -> tuple[Any, list[dict[str, str]]]:
    status, _, started = stack.api.request("POST", "/exports", body)
    assert status == 202, started
    assert started["status"] == "pending"
    stack.cloud.drain()
    status, _, ready = stack.api.request("GET", f"/exports/{started['export_id']}")
    assert status == 200, ready
    s3, bucket = stack.cloud.clients["s3"], stack.cloud.ref("ExportBucket")
    (obj,) = [o for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if started["export_id"] in o["Key"]]
    raw = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with its mark, for spreadsheets
    return ready, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_an_export_writes_one_row_per_order_with_a_presigned_url(shop: Stack) -> None:
    ids = [
        place(shop, 65_001, {"IPOD2009BLACK": 1}),
        place(shop, 65_002, {"IPOD2009BLACK": 2, "IPOD2008GREEN": 1}),
    ]
    shop.cloud.drain()
    status, _, _ = shop.api.request("POST", f"/orders/{ids[0]}/tags", {"add": ['=HYPERLINK("http://x")']})
    assert status == 200
    ready, rows = export(shop, {"filter": {"store": STORE, "status": "confirmed"}, "granularity": "order"})
    assert ready["status"] == "ready"
    assert "Signature" in ready["url"]
    assert ready["export_id"] in ready["url"]
    mine = {r["order_id"]: r for r in rows if r["order_id"] in ids}
    assert set(mine) == set(ids)
    assert ready["rows"] == len(rows)
    assert mine[ids[1]]["units"] == "3"
    assert mine[ids[0]]["tags"] == '\'=HYPERLINK("http://x")'  # read as text, never as a formula
    assert mine[ids[0]]["currency"] == "USD"


def test_a_line_export_has_a_row_per_line_and_only_the_columns_asked(shop: Stack) -> None:
    order_id = place(shop, 65_101, {"IPOD2009BLACK": 2, "IPOD2008GREEN": 1})
    shop.cloud.drain()
    ready, rows = export(
        shop,
        {
            "filter": {"store": STORE, "status": "confirmed"},
            "granularity": "line",
            "columns": ["order_id", "sku", "quantity"],
        },
    )
    assert ready["columns"] == ["order_id", "sku", "quantity"]
    assert sorted((r["sku"], r["quantity"]) for r in rows if r["order_id"] == order_id) == [
        ("IPOD2008GREEN", "1"),
        ("IPOD2009BLACK", "2"),
    ]
    assert set(rows[0]) == {"order_id", "sku", "quantity"}


def test_the_export_bucket_is_encrypted_private_and_expires_files(shop: Stack) -> None:
    s3, bucket = shop.cloud.clients["s3"], shop.cloud.ref("ExportBucket")
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Expiration"]["Days"] == 7


def test_bad_exports_are_refused_with_the_field_named(shop: Stack) -> None:
    status, _, answer = shop.api.request(
        "POST", "/exports", {"filter": {"store": STORE}, "columns": ["password"]}
    )
    assert (status, answer["code"]) == (422, "unknown_column")
    status, _, answer = shop.api.request("POST", "/exports", {"filter": {}})
    assert status == 422
    status, _, answer = shop.api.request("GET", "/exports/nope")
    assert (status, answer["code"]) == (404, "export_not_found")


def test_cells_a_spreadsheet_would_run_are_kept_as_text() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "ok", 12, None)] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        "12",
        "",
    ]
