"""Notes staff write on an order: internal, or for the customer (who is then told).

A note is identified by its id (the request's Idempotency-Key, else a new one): adding a note the
order already has changes nothing, so a retried request never writes it twice. Notes may be added
in any status, also after the order ended (a note on a refund, a complaint).
"""

from __future__ import annotations

from oms.domain_events import order_note_event
from oms.errors import ValidationFailed
from oms.fulfilment import FulfilmentChange, finish
from oms.models import Note, NoteVisibility, Order, TimelineEntry
from oms.order_changes import Actor, OrderChange


def find_note(order: Order, note_id: str) -> Note | None:
    return next((n for n in order.notes if n.note_id == note_id), None)


def add_note(
    order: Order, note_id: str, text: str, visibility: NoteVisibility, actor: Actor
) -> tuple[Note, OrderChange | None]:
    """The note, and the change that adds it (None when the order has it already). The same id
    with other content is refused (422 ``idempotency_key_reused``)."""
    existing = find_note(order, note_id)
    if existing is not None:
        if (existing.text, existing.visibility) != (text, visibility):
            raise ValidationFailed(
                "this Idempotency-Key was used for another note", code="idempotency_key_reused"
            )
        return existing, None
    note = Note(at=actor.at, author=actor.name, text=text, note_id=note_id, visibility=visibility)
    entry = TimelineEntry(
        at=actor.at,
        from_status=order.status,
        to_status=order.status,
        reason=f"note added ({visibility.value})",
        actor=actor.name,
        source_event=actor.source_event,
    )
    noted = order.model_copy(
        update={"notes": [*order.notes, note], "timeline": [*order.timeline, entry], "updated_at": actor.at}
    )
    change = OrderChange(order=noted, expected_version=order.version, events=[order_note_event(noted, note)])
    change.outcome = "noted"
    finish(FulfilmentChange(order=change))  # the new version, and the event numbered by it
    return note, change
