"""Replaying the OMS bus's archive (oms.outbound_webhooks): the archived events of a window sent
again to the outbound rule only (``FilterArns``), so no other consumer sees them twice."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import Conflict, ServiceUnavailable
from oms.outbound_webhooks import ReplayWindow
from oms.settings import Settings, get_settings


class EventReplays:
    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or get_settings()
        self.archive_arn = settings.require("event_archive_arn")
        self.bus_arn = settings.require("event_bus_arn")
        self.rule_arn = settings.require("outbound_rule_arn")
        self.events = client("events")

    def start(self, window: ReplayWindow) -> None:
        try:
            self.events.start_replay(
                ReplayName=window.name,
                Description=f"outbound webhooks: subscription {window.subscription_id}",
                EventSourceArn=self.archive_arn,
                EventStartTime=window.since,
                EventEndTime=window.until,
                Destination={"Arn": self.bus_arn, "FilterArns": [self.rule_arn]},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceAlreadyExistsException":
                raise Conflict("that replay was started already", code="replay_exists") from error
            raise ServiceUnavailable("the event archive could not be replayed; try again later") from error
        except BotoCoreError as error:
            raise ServiceUnavailable("the event archive could not be replayed; try again later") from error
