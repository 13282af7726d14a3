"""The reconcile queue (standard SQS): one message per store window to reconcile (a scheduled run,
one staff asked for, or the rest of a run that ran out of time)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.missed_orders import ReconcileRun
from oms.settings import Settings, get_settings


class ReconcileQueue:
    def __init__(self, settings: Settings | None = None) -> None:
        self.url = (settings or get_settings()).require("reconcile_queue_url")
        self.sqs = client("sqs")

    def send(self, run: ReconcileRun) -> None:
        try:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=run.model_dump_json())
        except (BotoCoreError, ClientError) as error:
            raise ServiceUnavailable("the reconcile queue is not reachable; try again later") from error
