"""Export rows (oms.order_export): a row per order or per line, the columns asked, cells that a
spreadsheet would run kept as text, UTF-8 with its byte-order mark."""

from __future__ import annotations

import pytest

from oms.errors import ValidationFailed
from oms.order_export import DEFAULT_COLUMNS, Granularity, columns_for, csv_bytes, rows_of
from tests.unit.test_notification_plan import order


def test_an_order_row_carries_the_default_columns_and_a_line_export_a_row_per_line() -> None:
    o = order().model_copy(update={"tags": ["-5% promo", "vip"]})
    (row,) = rows_of(o, Granularity.ORDER, DEFAULT_COLUMNS[Granularity.ORDER])
    assert row[:2] == [o.order_id, o.number]
    assert row[DEFAULT_COLUMNS[Granularity.ORDER].index("tags")] == "'-5% promo, vip"
    lines = rows_of(o, Granularity.LINE, ["order_id", "sku", "quantity"])
    assert lines == [[o.order_id, ln.stock_sku or ln.sku or "", str(ln.quantity)] for ln in o.lines]


def test_unknown_columns_are_refused_and_line_columns_need_line_granularity() -> None:
    with pytest.raises(ValidationFailed) as refused:
        columns_for(Granularity.ORDER, ["order_id", "sku"])
    assert (refused.value.code, refused.value.details) == ("unknown_column", [{"field": "columns"}])
    assert columns_for(Granularity.LINE, ["sku", "sku", "order_id"]) == ["sku", "order_id"]


def test_the_file_is_utf8_with_its_mark_and_crlf_rows() -> None:
    body, n = csv_bytes(["a", "b"], [["é", "x,y"], ["1", "2"]])
    assert n == 2
    assert body == '\ufeffa,b\r\né,"x,y"\r\n1,2\r\n'.encode()
