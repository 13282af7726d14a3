"""Staff notes on an order (oms.order_notes) and what the customer is sent (oms.notifications)."""

from __future__ import annotations

import pytest

from oms.errors import ValidationFailed
from oms.models import NoteVisibility
from oms.notifications import Email, plan
from oms.order_notes import add_note
from tests.unit.builders import actor, store
from tests.unit.test_notification_plan import order

V = NoteVisibility


def test_a_note_is_added_with_a_timeline_entry_a_new_version_and_its_event() -> None:
    before = order()
    note, change = add_note(
        before, "n-1", "Customer called: leave at the back door", V.INTERNAL, actor("staff:ada", 5)
    )
    assert change is not None
    after = change.order
    assert after.notes[-1] == note
    assert (note.note_id, note.author, note.visibility) == ("n-1", "staff:ada", V.INTERNAL)
    assert (after.version, change.expected_version) == (before.version + 1, before.version)
    entry = after.timeline[-1]
    assert (entry.from_status, entry.to_status, entry.reason) == (
        before.status,
        before.status,
        "note added (internal)",
    )
    (event,) = change.events
    assert (event.type, event.id) == ("OrderNoteAdded", f"{before.order_id}:{before.version + 1}:0")
    assert event.detail["note_id"] == "n-1"
    assert "back door" not in str(event.detail)  # the text stays on the order


def test_the_same_note_id_again_changes_nothing_and_other_content_under_it_is_refused() -> None:
    _, change = add_note(order(), "n-1", "hello", V.CUSTOMER, actor("staff:ada"))
    assert change is not None
    again, nothing = add_note(change.order, "n-1", "hello", V.CUSTOMER, actor("staff:ada", 1))
    assert nothing is None
    assert again == change.order.notes[-1]
    with pytest.raises(ValidationFailed) as refused:
        add_note(change.order, "n-1", "something else", V.CUSTOMER, actor("staff:ada", 2))
    assert (refused.value.code, refused.value.status) == ("idempotency_key_reused", 422)


def event_for(order_id: str, note_id: str) -> dict[str, object]:
    return {"detail-type": "OrderNoteAdded", "detail": {"order_id": order_id, "note_id": note_id}}


def test_a_customer_note_is_emailed_as_written_and_an_internal_one_goes_nowhere() -> None:
    _, change = add_note(order(), "n-1", "Your parcel <b>leaves</b> Monday", V.CUSTOMER, actor("staff:ada"))
    assert change is not None
    noted = change.order
    (email,) = plan(event_for(noted.order_id, "n-1"), noted, store(), email_enabled=True)
    assert isinstance(email, Email)
    assert email.to == noted.customer.email
    assert "a note about your order #1001" in email.subject
    assert "Your parcel <b>leaves</b> Monday" in email.text
    assert "&lt;b&gt;leaves&lt;/b&gt;" in email.html  # escaped in the HTML part

    _, internal = add_note(noted, "n-2", "fraud check passed", V.INTERNAL, actor("staff:ada", 1))
    assert internal is not None
    assert plan(event_for(noted.order_id, "n-2"), internal.order, store(), email_enabled=True) == []
    assert (
        plan(event_for(noted.order_id, "n-1"), noted, store(notify_customer_email=False), email_enabled=True)
        == []
    )
    assert plan(event_for(noted.order_id, "missing"), noted, store(), email_enabled=True) == []
