"""Order exports (``POST /exports``): what a CSV of orders holds, one row per order or per line,
and how a cell is made safe for a spreadsheet: pure.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) are prefixed with ``'`` (OWASP's CSV injection advice), so an order note such as
``=HYPERLINK(...)`` is shown as text. Money is written as its decimal amount with the currency in
its own column (never summed across currencies); times are UTC ISO-8601.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from pydantic import Field

from oms.bulk_jobs import JobFilter
from oms.errors import ValidationFailed
from oms.models import LineItem, Model, Order
from oms.timeutil import UtcDateTime, iso


class Granularity(StrEnum):
    ORDER = "order"
    LINE = "line"


class ExportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


MAX_ORDERS = 100_000


class Export(Model):
    export_id: str
    status: ExportStatus = ExportStatus.PENDING
    order_filter: JobFilter = Field(alias="filter")
    granularity: Granularity = Granularity.ORDER
    columns: list[str]
    rows: int | None = None
    orders: int | None = None
    key: str | None = None  # the object in the export bucket, once written
    error: str | None = None
    actor: str
    created_at: UtcDateTime
    finished_at: UtcDateTime | None = None


Cell = Callable[[Order, LineItem | None], Any]

ORDER_COLUMNS: dict[str, Cell] = {
    "order_id": lambda o, _: o.order_id,
    "number": lambda o, _: o.number,
    "store_id": lambda o, _: o.store_id,
    "channel": lambda o, _: o.channel.value,
    "status": lambda o, _: o.status.value,
    "payment_status": lambda o, _: o.payment_status.value,
    "placed_at": lambda o, _: iso(o.placed_at),
    "currency": lambda o, _: o.currency,
    "total": lambda o, _: o.totals.total.amount,
    "subtotal": lambda o, _: o.totals.subtotal.amount,
    "discounts": lambda o, _: o.totals.discounts.amount,
    "tax": lambda o, _: o.totals.tax.amount,
    "shipping": lambda o, _: o.totals.shipping.amount,
    "customer_email": lambda o, _: o.customer.email or "",
    "customer_name": lambda o, _: o.customer.display_name,
    "ship_to_country": lambda o, _: o.shipping_address.country_code if o.shipping_address else "",
    "tags": lambda o, _: ", ".join(o.tags),
    "lines": lambda o, _: len(o.lines) + len(o.added_lines),
    "units": lambda o, _: sum(ln.open_quantity for ln in [*o.lines, *o.added_lines]),
    "refunded": lambda o, _: sum((r.total.amount for r in o.refunds if r.status.value != "failed"), start=0),
}
LINE_COLUMNS: dict[str, Cell] = {
    "line_id": lambda _, ln: ln.line_id if ln else "",
    "sku": lambda _, ln: (ln.stock_sku or ln.sku or "") if ln else "",
    "name": lambda _, ln: ln.name if ln else "",
    "quantity": lambda _, ln: ln.quantity if ln else "",
    "open_quantity": lambda _, ln: ln.open_quantity if ln else "",
    "unit_price": lambda _, ln: ln.unit_price.amount if ln else "",
    "line_total": lambda _, ln: ln.line_total.amount if ln else "",
}
DEFAULT_COLUMNS = {
    Granularity.ORDER: [
        "order_id",
        "number",
        "store_id",
        "channel",
        "status",
        "placed_at",
        "currency",
        "total",
        "customer_email",
        "tags",
        "units",
    ],
    Granularity.LINE: [
        "order_id",
        "number",
        "status",
        "placed_at",
        "currency",
        "line_id",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "line_total",
    ],
}


def columns_for(granularity: Granularity, asked: list[str] | None) -> list[str]:
    known = ORDER_COLUMNS | (LINE_COLUMNS if granularity == Granularity.LINE else {})
    columns = asked or DEFAULT_COLUMNS[granularity]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValidationFailed(
            f"unknown columns {unknown} (known: {', '.join(known)})",
            code="unknown_column",
            details=[{"field": "columns"}],
        )
    return list(dict.fromkeys(columns))


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def rows_of(order: Order, granularity: Granularity, columns: list[str]) -> list[list[str]]:
    cells = {**ORDER_COLUMNS, **LINE_COLUMNS}
    lines: list[LineItem | None] = (
        [*order.lines, *order.added_lines] if granularity == Granularity.LINE else [None]
    )
    return [[safe_cell(cells[c](order, line)) for c in columns] for line in lines]


def csv_bytes(columns: list[str], rows: Iterable[list[str]]) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark (so spreadsheets read it as UTF-8), CRLF rows; and the row count."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), n
