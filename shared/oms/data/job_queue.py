"""The bulk jobs' queue (standard SQS): one message per chunk of orders, or one to resolve a
job's filter into chunks."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings


class JobQueue:
    def __init__(self, settings: Settings | None = None) -> None:
        self.url = (settings or get_settings()).require("jobs_queue_url")
        self.sqs = client("sqs")

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Every message, ten per SendMessageBatch, those SQS did not take sent again."""
        pending = [(str(i), json.dumps(m, separators=(",", ":"))) for i, m in enumerate(messages)]
        for _ in range(5):
            if not pending:
                return
            failed: list[tuple[str, str]] = []
            for start in range(0, len(pending), 10):
                batch = dict(pending[start : start + 10])
                try:
                    response = self.sqs.send_message_batch(
                        QueueUrl=self.url,
                        Entries=[{"Id": i, "MessageBody": body} for i, body in batch.items()],
                    )
                except (BotoCoreError, ClientError) as error:
                    raise ServiceUnavailable("the jobs queue is not reachable; try again later") from error
                failed += [(f["Id"], batch[f["Id"]]) for f in response.get("Failed", [])]
            pending = failed
        if pending:
            raise ServiceUnavailable("the jobs queue refused some chunks; try again later")
