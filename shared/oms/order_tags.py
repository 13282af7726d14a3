"""Staff tag orders (``POST /orders/{order_id}/tags``, bulk jobs): pure.

Tags are compared case-insensitively (``VIP`` and ``vip`` are one tag) and kept as first written.
What staff add or remove is remembered on the order (``tag_changes``) and laid over every later
view the channel sends (oms.order_edits.keep_staff_changes), so a channel's update does not undo
it. Asking for tags the order already has (or removing ones it lacks) changes nothing.
"""

from __future__ import annotations

from oms.domain_events import order_tags_event
from oms.errors import ValidationFailed
from oms.fulfilment import FulfilmentChange, finish
from oms.models import Order, TimelineEntry
from oms.order_changes import Actor, OrderChange

MAX_TAGS = 100


def staff_tags(channel_tags: list[str], changes: dict[str, bool]) -> list[str]:
    """The channel's tags with staff's additions and removals applied."""
    removed = {tag.casefold() for tag, added in changes.items() if not added}
    tags = [t for t in channel_tags if t.casefold() not in removed]
    have = {t.casefold() for t in tags}
    for tag, added in changes.items():
        if added and tag.casefold() not in have:
            tags.append(tag)
            have.add(tag.casefold())
    return tags


def retag(order: Order, add: list[str], remove: list[str], actor: Actor) -> OrderChange | None:
    """The change that adds and removes these tags, or None when the order is tagged so already."""
    clash = {t.casefold() for t in add} & {t.casefold() for t in remove}
    if clash:
        raise ValidationFailed(
            f"a tag cannot be added and removed at once: {sorted(clash)}",
            code="conflicting_tags",
            details=[{"field": "remove"}],
        )
    changes = {k: v for k, v in order.tag_changes.items() if k.casefold() not in clash}
    for tag in add:
        changes = {k: v for k, v in changes.items() if k.casefold() != tag.casefold()} | {tag: True}
    for tag in remove:
        changes = {k: v for k, v in changes.items() if k.casefold() != tag.casefold()} | {tag: False}
    tags = staff_tags(order.tags, {**dict.fromkeys(add, True), **dict.fromkeys(remove, False)})
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"an order has at most {MAX_TAGS} tags", code="too_many_tags")
    before = {t.casefold() for t in order.tags}
    after = {t.casefold() for t in tags}
    if before == after:
        return None
    entry = TimelineEntry(
        at=actor.at,
        from_status=order.status,
        to_status=order.status,
        reason="tags changed",
        actor=actor.name,
        source_event=actor.source_event,
    )
    tagged = order.model_copy(
        update={
            "tags": tags,
            "tag_changes": changes,
            "timeline": [*order.timeline, entry],
            "updated_at": actor.at,
        }
    )
    added = [t for t in tags if t.casefold() not in before]
    gone = [t for t in order.tags if t.casefold() not in after]
    change = OrderChange(
        order=tagged,
        expected_version=order.version,
        events=[order_tags_event(tagged, added, gone, actor.name, actor.at)],
    )
    change.outcome = "tagged"
    finish(FulfilmentChange(order=change))
    return change
