"""Holding a message a consumer could not handle yet back for as long as an outside API asked
(its Retry-After), instead of the queue's usual visibility timeout: the message's visibility is
set from the record the function received."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.observability import logger


def hold_back(queue_arn: str, receipt_handle: str, seconds: int) -> bool:
    """True when the queue will hold the message ``seconds`` before delivering it again; False
    (logged) when it cannot: the queue's own visibility timeout then applies, which is safe."""
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        return False
    sqs = client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
    except (BotoCoreError, ClientError) as error:
        logger.warning(
            "message not held back; the queue's visibility timeout applies",
            extra={"error": type(error).__name__},
        )
        return False
    return True
