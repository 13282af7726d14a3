"""A Lambda context object: function identity and the time left before the function's Timeout."""

from __future__ import annotations

import time
import uuid

from oms_local.template import REGION


class LocalContext:
    def __init__(self, name: str, arn: str, memory: int, timeout: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"local/{self.aws_request_id[:8]}"
        self.region = REGION
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
