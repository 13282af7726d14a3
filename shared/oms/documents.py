"""Warehouse paperwork for one shipment: the pick list (what to take from the shelves) and the
packing slip (what goes in the box for the customer), as data and as a printable HTML page."""

from __future__ import annotations

import html
from typing import Literal

from oms.models import Address, Location, Model, Order
from oms.shipments import Shipment
from oms.timeutil import UtcDateTime

_STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}"
    "h1{font-size:20px;margin:0 0 .3em}table{border-collapse:collapse;width:100%;margin-top:1em}"
    "th,td{border-bottom:1px solid #ccc;padding:.4em;text-align:left}td.q{text-align:right;width:5em}"
    ".box{display:inline-block;width:1em;height:1em;border:1px solid #111}"
    "@media print{body{margin:0}.page{break-after:page}}"
)


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    city = " ".join(p for p in (address.postal_code, address.city) if p)
    region = ", ".join(p for p in (address.province_code or address.province, address.country_code) if p)
    return [p for p in (address.name, address.company, address.line1, address.line2, city, region) if p]


class DocumentLine(Model):
    sku: str | None = None
    name: str
    quantity: int


class PickList(Model):
    """What to take from the shelves for one shipment, one row per SKU."""

    document: Literal["pick_list"] = "pick_list"
    shipment_id: str
    order_number: str
    location: str
    location_name: str
    status: str
    lines: list[DocumentLine]
    total_items: int


class PackingSlip(Model):
    """What goes in the box for the customer."""

    document: Literal["packing_slip"] = "packing_slip"
    shipment_id: str
    order_number: str
    placed_at: UtcDateTime
    ship_from: list[str]
    ship_to: list[str]
    lines: list[DocumentLine]
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    note: str | None = None


def pick_list(shipment: Shipment, location: Location | None) -> PickList:
    """Lines grouped by SKU (the picker walks to each shelf once); lines without one by name."""
    by_item: dict[str, DocumentLine] = {}
    for line in shipment.lines:
        key = line.sku or f"\x00{line.name}"
        current = by_item.get(key)
        quantity = (current.quantity if current else 0) + line.quantity
        by_item[key] = DocumentLine(sku=line.sku, name=line.name, quantity=quantity)
    return PickList(
        shipment_id=shipment.shipment_id,
        order_number=shipment.number,
        location=shipment.location,
        location_name=location.name if location else shipment.location,
        status=shipment.status.value,
        lines=[by_item[k] for k in sorted(by_item)],
        total_items=sum(line.quantity for line in shipment.lines),
    )


def packing_slip(shipment: Shipment, order: Order, location: Location | None) -> PackingSlip:
    label = shipment.label
    return PackingSlip(
        shipment_id=shipment.shipment_id,
        order_number=order.number,
        placed_at=order.placed_at,
        ship_from=_address_lines(location.address if location else None)
        or [location.name if location else shipment.location],
        ship_to=_address_lines(shipment.ship_to),
        lines=[DocumentLine(sku=line.sku, name=line.name, quantity=line.quantity) for line in shipment.lines],
        carrier=label.carrier if label else None,
        service=label.service if label else None,
        tracking_number=label.tracking_number if label else None,
        note=order.note,
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def pick_list_html(doc: PickList) -> str:
    return _page(f"Pick list {doc.shipment_id}", _pick_list_body(doc))


def pick_lists_html(docs: list[PickList], title: str) -> str:
    """Many pick lists as one printable document, each on its own page."""
    pages = "".join(f'<section class="page">{_pick_list_body(d)}</section>' for d in docs)
    return _page(title, pages or "<p>Nothing to pick.</p>")


def _pick_list_body(doc: PickList) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td><span class="box"></span></td><td>{e(line.sku or "-")}</td><td>{e(line.name)}</td>'
        f'<td class="q">{line.quantity}</td></tr>'
        for line in doc.lines
    )
    return (
        f"<h1>Pick list: order {e(doc.order_number)}</h1>"
        f"<div>Shipment {e(doc.shipment_id)} from {e(doc.location_name)}; "
        f"{doc.total_items} item(s)</div>"
        f"<table><thead><tr><th></th><th>SKU</th><th>Item</th><th>Qty</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def packing_slip_html(doc: PackingSlip) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td>{e(line.sku or "-")}</td><td>{e(line.name)}</td><td class="q">{line.quantity}</td></tr>'
        for line in doc.lines
    )
    ship_to = "<br>".join(e(p) for p in doc.ship_to) or "(no address)"
    ship_from = "<br>".join(e(p) for p in doc.ship_from)
    tracking = (
        f"<p>{e(doc.carrier or '')} {e(doc.service or '')}: {e(doc.tracking_number)}</p>"
        if doc.tracking_number
        else ""
    )
    note = f"<p><b>Note:</b> {e(doc.note)}</p>" if doc.note else ""
    body = (
        f"<h1>Packing slip: order {e(doc.order_number)}</h1>"
        f"<table><tr><td><b>Ship to</b><br>{ship_to}</td><td><b>From</b><br>{ship_from}</td></tr></table>"
        f"{tracking}<table><thead><tr><th>SKU</th><th>Item</th><th>Qty</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{note}"
    )
    return _page(f"Packing slip {doc.shipment_id}", body)
