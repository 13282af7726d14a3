"""The catalogue queue (SQS FIFO): one message per page of a store's catalogue sync, in the store's
own message group (its pages one at a time, in order), deduplicated on the run and page: a page
queued twice (a delivery retried after it queued its next) is one message."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from oms.catalog_sync import CatalogRun
from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings


class CatalogQueue:
    def __init__(self, settings: Settings | None = None) -> None:
        self.url = (settings or get_settings()).require("catalog_queue_url")
        self.sqs = client("sqs")

    def send(self, run: CatalogRun) -> None:
        try:
            self.sqs.send_message(
                QueueUrl=self.url,
                MessageBody=run.model_dump_json(),
                MessageGroupId=run.store_id,
                MessageDeduplicationId=f"{run.run_id}-{run.page}",
            )
        except (BotoCoreError, ClientError) as error:
            raise ServiceUnavailable("the catalogue queue is not reachable; try again later") from error
