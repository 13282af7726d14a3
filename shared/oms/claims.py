"""Claims: something that arrived missing, wrong or broken, put right without a return: pure.

A claim names units of lines that left (shipped, over all its claims never more than left) and
how it is put right: **reship** (a replacement order, free, its stock reserved now, all or
nothing: 409 ``insufficient_stock`` naming what is short, so staff can refund instead) or
**refund** (what those units were paid, through the refund rules: never more than was captured).
Claims stay on the order: they are the facts order accuracy is measured by.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from oms.cancellation import line_states
from oms.errors import Conflict, ValidationFailed
from oms.identifiers import claim_id_for
from oms.models import Claim, ClaimLine, Model, Order
from oms.money import Money
from oms.order_changes import Actor
from oms.replacements import ReplacementLine
from oms.shipments import Shipment

ClaimType = Literal["missing_item", "wrong_item", "damaged_in_transit"]
Resolution = Literal["reship", "refund"]
EvidenceUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"']{1,500}$")]


class ClaimAsk(Model):
    """Units that arrived missing, wrong or damaged: sent again free (``reship``) or refunded."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    lines: list[ClaimLine] = Field(min_length=1, max_length=500)
    type: ClaimType
    resolution: Resolution
    evidence_urls: list[EvidenceUrl] = Field(default_factory=list, max_length=10)
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


def claimed_units(order: Order) -> dict[str, int]:
    units: dict[str, int] = {}
    for claim in order.claims:
        for line in claim.lines:
            units[line.line_id] = units.get(line.line_id, 0) + line.quantity
    return units


def plan_claim(order: Order, shipments: list[Shipment], ask: ClaimAsk, actor: Actor) -> Claim:
    """The claim, checked: 422 for a line the order does not have, 409 ``quantity_exceeds_shipped``
    for more units than left (over all the order's claims)."""
    states = line_states(order, shipments)
    claimed = claimed_units(order)
    asked: dict[str, int] = {}
    for i, line in enumerate(ask.lines):
        state = states.get(line.line_id)
        if state is None or order.line(line.line_id) is None:
            raise ValidationFailed(
                f"order {order.order_id} has no line {line.line_id!r}",
                code="unknown_line",
                details=[{"field": f"lines[{i}].line_id"}],
            )
        asked[line.line_id] = asked.get(line.line_id, 0) + line.quantity
        left = state.shipped - claimed.get(line.line_id, 0)
        if asked[line.line_id] > left:
            raise Conflict(
                f"line {line.line_id}: {max(left, 0)} shipped unit(s) are left to claim for",
                code="quantity_exceeds_shipped",
                details=[{"field": f"lines[{i}].quantity", "claimable": max(left, 0)}],
            )
    return Claim(
        claim_id=claim_id_for(order.order_id, len(order.claims) + 1),
        type=ask.type,
        resolution=ask.resolution,
        lines=[ClaimLine(line_id=k, quantity=v) for k, v in asked.items()],
        evidence_urls=list(ask.evidence_urls),
        note=ask.note,
        actor=actor.name,
        created_at=actor.at,
    )


def reshipment(order: Order, claim: Claim) -> list[ReplacementLine]:
    """What a reshipment sends: the claimed units of lines that hold stock, free. A line that holds
    no stock (a service, a line the store does not track) cannot be sent again: 409."""
    out: list[ReplacementLine] = []
    zero = Money.zero(order.currency)
    for line in claim.lines:
        item = order.line(line.line_id)
        assert item is not None
        if item.stock_item is None:
            raise Conflict(
                f"{item.name} holds no stock of ours to send again: refund it instead",
                code="not_reshippable",
                details=[{"line_id": line.line_id}],
            )
        out.append(
            ReplacementLine(sku=item.stock_item, name=item.name, quantity=line.quantity, unit_price=zero)
        )
    return out
