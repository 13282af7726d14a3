"""Warehouse paperwork for one shipment: the pick list (what to take from the shelves) and the
packing slip (what goes in the box for the customer), as data and as a printable HTML page."""

from __future__ import annotations

import html
from typing import Any

from oms.models import Address, Location, Order
from oms.shipments import Shipment

_STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}"
    "h1{font-size:20px;margin:0 0 .3em}table{border-collapse:collapse;width:100%;margin-top:1em}"
    "th,td{border-bottom:1px solid #ccc;padding:.4em;text-align:left}td.q{text-align:right;width:5em}"
    ".box{display:inline-block;width:1em;height:1em;border:1px solid #111}"
    "@media print{body{margin:0}}"
)


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    city = " ".join(p for p in (address.postal_code, address.city) if p)
    region = ", ".join(p for p in (address.province_code or address.province, address.country_code) if p)
    return [p for p in (address.name, address.company, address.line1, address.line2, city, region) if p]


def pick_list(shipment: Shipment, location: Location | None) -> dict[str, Any]:
    """Lines grouped by SKU (the picker walks to each shelf once)."""
    by_sku: dict[str, dict[str, Any]] = {}
    for line in shipment.lines:
        entry = by_sku.setdefault(line.sku or line.name, {"sku": line.sku, "name": line.name, "quantity": 0})
        entry["quantity"] += line.quantity
    return {
        "document": "pick_list",
        "shipment_id": shipment.shipment_id,
        "order_number": shipment.number,
        "location": shipment.location,
        "location_name": location.name if location else shipment.location,
        "status": shipment.status.value,
        "lines": sorted(by_sku.values(), key=lambda e: e["sku"]),
        "total_items": sum(line.quantity for line in shipment.lines),
    }


def packing_slip(shipment: Shipment, order: Order, location: Location | None) -> dict[str, Any]:
    label = shipment.label
    return {
        "document": "packing_slip",
        "shipment_id": shipment.shipment_id,
        "order_number": order.number,
        "placed_at": order.placed_at.isoformat(),
        "ship_from": _address_lines(location.address if location else None)
        or [location.name if location else shipment.location],
        "ship_to": _address_lines(shipment.ship_to),
        "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity} for line in shipment.lines],
        "carrier": label.carrier if label else None,
        "service": label.service if label else None,
        "tracking_number": label.tracking_number if label else None,
        "note": order.note,
    }


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def pick_list_html(doc: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td><span class="box"></span></td><td>{e(line["sku"])}</td><td>{e(line["name"])}</td>'
        f'<td class="q">{line["quantity"]}</td></tr>'
        for line in doc["lines"]
    )
    body = (
        f"<h1>Pick list: order {e(doc['order_number'])}</h1>"
        f"<div>Shipment {e(doc['shipment_id'])} from {e(doc['location_name'])}; "
        f"{doc['total_items']} item(s)</div>"
        f"<table><thead><tr><th></th><th>SKU</th><th>Item</th><th>Qty</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _page(f"Pick list {doc['shipment_id']}", body)


def packing_slip_html(doc: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td>{e(line["sku"])}</td><td>{e(line["name"])}</td><td class="q">{line["quantity"]}</td></tr>'
        for line in doc["lines"]
    )
    ship_to = "<br>".join(e(p) for p in doc["ship_to"]) or "(no address)"
    ship_from = "<br>".join(e(p) for p in doc["ship_from"])
    tracking = (
        f"<p>{e(doc['carrier'] or '')} {e(doc['service'] or '')}: {e(doc['tracking_number'])}</p>"
        if doc.get("tracking_number")
        else ""
    )
    note = f"<p><b>Note:</b> {e(doc['note'])}</p>" if doc.get("note") else ""
    body = (
        f"<h1>Packing slip: order {e(doc['order_number'])}</h1>"
        f"<table><tr><td><b>Ship to</b><br>{ship_to}</td><td><b>From</b><br>{ship_from}</td></tr></table>"
        f"{tracking}<table><thead><tr><th>SKU</th><th>Item</th><th>Qty</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{note}"
    )
    return _page(f"Packing slip {doc['shipment_id']}", body)
