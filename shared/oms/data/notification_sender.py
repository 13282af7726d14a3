"""Sending: SES for customer email, SNS for staff alerts and customer SMS."""

from __future__ import annotations

from oms.data.aws_clients import client
from oms.notifications import Alert, Email, Notification, Sms
from oms.settings import Settings, get_settings


class Sender:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.ses = client("ses")
        self.sns = client("sns")

    @property
    def email_enabled(self) -> bool:
        return bool(self.settings.sender_email)

    def send(self, notification: Notification) -> None:
        if isinstance(notification, Email):
            self.ses.send_email(
                Source=self.settings.require("sender_email"),
                Destination={"ToAddresses": [notification.to]},
                Message={
                    "Subject": {"Data": notification.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": notification.text, "Charset": "UTF-8"},
                        "Html": {"Data": notification.html, "Charset": "UTF-8"},
                    },
                },
            )
        elif isinstance(notification, Sms):
            self.sns.publish(PhoneNumber=notification.phone, Message=notification.text[:140])
        elif isinstance(notification, Alert):
            self.sns.publish(
                TopicArn=self.settings.require("alerts_topic_arn"),
                Subject=notification.subject[:100],
                Message=notification.text,
            )
