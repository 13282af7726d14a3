"""Who may call which admin route. Two roles: ``staff`` may do everything; ``warehouse`` may work
the fulfilment screens (find orders, pick, pack, label, ship, allocate), the stock (read, count) and
count returned parcels in, and nothing that moves money or changes what was sold.

The role comes from the token the API's JWT authorizer verified: the Cognito groups
(``cognito:groups``) or, for another OIDC issuer, a ``role`` / ``custom:role`` claim. A person's
Cognito token with neither is refused (a user the administrator has not placed in a group yet);
a token that names no person (a machine client's, from the client-credentials flow) is staff, as
integrations were before roles existed. The app hides what the role may not do; this is what
makes it so.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    STAFF = "staff"
    WAREHOUSE = "warehouse"


# API Gateway route keys ("METHOD /path/{param}") the warehouse role may call.
WAREHOUSE_ROUTES: frozenset[str] = frozenset(
    {
        "GET /orders",
        "GET /orders/{order_id}",
        "GET /orders/{order_id}/shipments",
        "GET /orders/{order_id}/returns",
        "POST /orders/{order_id}/allocate",
        "GET /shipments",
        "GET /shipments/{shipment_id}",
        "GET /shipments/{shipment_id}/pick-list",
        "GET /shipments/{shipment_id}/packing-slip",
        "GET /shipments/{shipment_id}/rates",
        "POST /shipments/{shipment_id}/pack",
        "POST /shipments/{shipment_id}/label",
        "POST /shipments/{shipment_id}/tracking",
        "POST /shipments/{shipment_id}/ship",
        "POST /shipments/{shipment_id}/cancel",
        "POST /shipments/{shipment_id}/delivered",
        "GET /stock",
        "GET /stock/{sku}",
        "PUT /stock/{sku}",
        "GET /locations",
        "GET /returns",
        "GET /returns/{return_id}",
        "POST /returns/{return_id}/receive",
        "GET /me",
        "GET /dashboard",
    }
)


def _listed(value: Any) -> list[str]:
    """A claim that holds a list: a JSON list, or, as API Gateway's JWT authorizer passes arrays
    to the function, one string "[a b]"."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [v for v in value.strip("[]").replace(",", " ").split() if v]
    return []


def role_of(claims: Mapping[str, Any]) -> Role | None:
    """The token's role; None when it belongs to a person who has been given none."""
    named = _listed(claims.get("cognito:groups")) + _listed(claims.get("role") or claims.get("custom:role"))
    if Role.STAFF in named:
        return Role.STAFF
    if Role.WAREHOUSE in named:
        return Role.WAREHOUSE
    person = any(k in claims for k in ("cognito:username", "username", "email"))
    return None if person else Role.STAFF


def may_call(role: Role | None, route_key: str) -> bool:
    if role is Role.STAFF:
        return True
    return role is Role.WAREHOUSE and route_key in WAREHOUSE_ROUTES
