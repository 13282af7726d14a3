"""Staff fulfilment API: shipments to pick per location, pick lists and packing slips (JSON or
printable HTML), pack, rates, buy a label or enter tracking, ship, cancel, confirm delivery, and
(re)allocate an order's reserved stock to shipments."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from oms import documents
from oms.admin_api import HTML, create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import CancelRequest, LabelRequest, TrackingRequest
from oms.admin_responses import Allocation, OrderShipments, RateList, ShipmentPage
from oms.api_params import Cursor, Limit200, LocationQuery, OrderId, ShipmentId
from oms.data.idempotency_store import RequestOnce
from oms.errors import NotFound
from oms.observability import count, lambda_handler_of, logger
from oms.order_changes import Actor
from oms.settings import get_settings
from oms.shipments import Shipment, ShipmentStatus
from oms.timeutil import utcnow
from oms.wiring import fulfilment_services

# Staff see store and location changes at once: no caching here.
services = fulfilment_services(cache_seconds=0, retries_to_intake=True)
shipping, shipments = services.shipping, services.shipments
# POSTs with an Idempotency-Key answer a retry with the first answer (a label is bought once).
once = RequestOnce("fulfilment-api", shipments.table, get_settings())
app = create_app(once)


class Format(StrEnum):
    JSON = "json"
    HTML = "html"


def _actor() -> Actor:
    return Actor(staff_actor(app), None, utcnow())


def _shipment(shipment: Shipment, status: int = 200) -> Response[str]:
    return model_response(status, shipment)


def _document(body: BaseModel, html: str, fmt: Format) -> Response[str]:
    if fmt == Format.HTML:
        return Response(status_code=200, content_type=HTML, body=html)
    return model_response(200, body)


@app.get(
    "/shipments",
    summary="Shipments waiting at a location (pending or packed), oldest first",
    tags=["fulfilment"],
    responses=responses(200, 400, model=ShipmentPage),
)
def list_shipments(
    location: LocationQuery,
    status: Annotated[ShipmentStatus | None, Query(description="pending or packed")] = None,
    limit: Limit200 = 50,
    cursor: Cursor = None,
) -> Any:
    page = shipments.pick_queue(location, status.value if status else None, limit=limit, cursor=cursor)
    return json_response(200, {"shipments": page.items, "cursor": page.cursor})


@app.get(
    "/orders/<order_id>/shipments",
    summary="An order's shipments",
    tags=["fulfilment"],
    responses=responses(200, 404, model=OrderShipments),
)
def order_shipments(order_id: OrderId) -> Any:
    order, found = shipments.order_with_shipments(order_id)
    if order is None:
        raise NotFound(f"no order {order_id!r}", code="order_not_found")
    return json_response(
        200,
        {
            "order_id": order_id,
            "status": order.status.value,
            "shipments": [s.model_dump(mode="json") for s in found],
        },
    )


@app.post(
    "/orders/<order_id>/allocate",
    summary="Put what the order has reserved, and no shipment carries, into shipments",
    tags=["fulfilment"],
    responses=responses(201, 404, 409, model=Allocation),
)
def allocate_order(order_id: OrderId) -> Any:
    created = services.allocation.allocate(order_id, _actor(), by_staff=True)
    count("ShipmentsCreated", len(created))
    logger.info("order allocated by staff", extra={"order_id": order_id, "shipments": len(created)})
    return json_response(
        201, {"order_id": order_id, "shipments": [s.model_dump(mode="json") for s in created]}
    )


@app.get(
    "/shipments/<shipment_id>",
    summary="One shipment",
    tags=["fulfilment"],
    responses=responses(200, 404, model=Shipment),
)
def get_shipment(shipment_id: ShipmentId) -> Any:
    return _shipment(shipments.get(shipment_id))


@app.get(
    "/shipments/<shipment_id>/pick-list",
    summary="What to take from the shelves (format=html for a printable page)",
    tags=["fulfilment"],
    responses=responses(200, 404, model=documents.PickList, html=True),
)
def pick_list(shipment_id: ShipmentId, format: Annotated[Format, Query()] = Format.JSON) -> Any:
    shipment, _, _, location = shipping.context(shipment_id)
    doc = documents.pick_list(shipment, location)
    return _document(doc, documents.pick_list_html(doc), format)


@app.get(
    "/shipments/<shipment_id>/packing-slip",
    summary="What goes in the box (format=html for a printable page)",
    tags=["fulfilment"],
    responses=responses(200, 404, model=documents.PackingSlip, html=True),
)
def packing_slip(shipment_id: ShipmentId, format: Annotated[Format, Query()] = Format.JSON) -> Any:
    shipment, order, _, location = shipping.context(shipment_id)
    doc = documents.packing_slip(shipment, order, location)
    return _document(doc, documents.packing_slip_html(doc), format)


@app.post(
    "/shipments/<shipment_id>/pack",
    summary="Mark packed",
    tags=["fulfilment"],
    responses=responses(200, 404, 409, model=Shipment),
)
def pack(shipment_id: ShipmentId) -> Any:
    return _shipment(shipping.pack(shipment_id, _actor()))


@app.get(
    "/shipments/<shipment_id>/rates",
    summary="Rates the store's carrier offers for this parcel",
    tags=["fulfilment"],
    responses=responses(200, 400, 404, model=RateList),
)
def rates(shipment_id: ShipmentId) -> Any:
    offered = shipping.quote(shipment_id)
    return json_response(
        200, {"shipment_id": shipment_id, "rates": [r.model_dump(mode="json") for r in offered]}
    )


@app.post(
    "/shipments/<shipment_id>/label",
    summary="Buy a label (the store's rate policy, or the service named)",
    tags=["fulfilment"],
    responses=responses(201, 400, 404, 409, model=Shipment),
)
def buy_label(shipment_id: ShipmentId, body: Annotated[LabelRequest | None, Body()] = None) -> Any:
    body = body or LabelRequest()
    shipment = shipping.buy_label(shipment_id, _actor(), service=body.service, scenario=body.scenario)
    return _shipment(shipment, 201)


@app.post(
    "/shipments/<shipment_id>/tracking",
    summary="Enter the carrier and tracking number of a parcel shipped another way",
    tags=["fulfilment"],
    responses=responses(201, 404, 409, model=Shipment),
)
def enter_tracking(shipment_id: ShipmentId, body: TrackingRequest) -> Any:
    shipment = shipping.enter_tracking(
        shipment_id,
        _actor(),
        carrier=body.carrier,
        tracking_number=body.tracking_number.replace(" ", ""),
        tracking_url=body.tracking_url,
    )
    return _shipment(shipment, 201)


@app.post(
    "/shipments/<shipment_id>/ship",
    summary="Mark shipped: stock is committed, the order moves to (partially) shipped",
    tags=["fulfilment"],
    responses=responses(200, 404, 409, model=Shipment),
)
def ship(shipment_id: ShipmentId) -> Any:
    shipment = shipping.ship(shipment_id, _actor())
    count("ShipmentsShipped")
    logger.info("shipment shipped", extra={"shipment_id": shipment_id, "order_id": shipment.order_id})
    return _shipment(shipment)


@app.post(
    "/shipments/<shipment_id>/cancel",
    summary="Cancel a shipment that has not left (its label is voided; the stock stays reserved)",
    tags=["fulfilment"],
    responses=responses(200, 404, 409, model=Shipment),
)
def cancel(shipment_id: ShipmentId, body: Annotated[CancelRequest | None, Body()] = None) -> Any:
    body = body or CancelRequest()
    return _shipment(shipping.cancel(shipment_id, _actor(), reason=body.reason))


@app.post(
    "/shipments/<shipment_id>/delivered",
    summary="Confirm delivery of a parcel no carrier tracks",
    tags=["fulfilment"],
    responses=responses(200, 404, 409, model=Shipment),
)
def delivered(shipment_id: ShipmentId) -> Any:
    return _shipment(shipping.mark_delivered(shipment_id, _actor()))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once.register(context)
    return app.resolve(event, context)
