"""Powertools idempotency records, kept in the single table (PK ``IDEMPOTENCY#<function>``, SK the
hash of the key, expiring through the table's TTL attribute)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from oms.data.dynamo_table import Table
from oms.errors import Conflict, ValidationFailed
from oms.settings import Settings

# A staff request retried with its Idempotency-Key within a day gets the first answer.
REQUEST_KEY_SECONDS = 24 * 3600


def idempotency(
    function: str, table: Table, settings: Settings
) -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
    persistence = DynamoDBPersistenceLayer(
        table_name=table.name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=f"IDEMPOTENCY#{function}",
        expiry_attr="expires_at",
        status_attr="idempotency_status",
        data_attr="idempotency_data",
        validation_key_attr="idempotency_validation",
        in_progress_expiry_attr="idempotency_in_progress_expiry",
        boto3_client=table.ddb,
    )
    config = IdempotencyConfig(
        event_key_jmespath="key", expires_after_seconds=settings.idempotency_ttl_seconds
    )
    return persistence, config


class Once:
    """Run an action at most once per key (a record in the table, kept ``idempotency_ttl_seconds``):
    a second call with the same key returns the first call's result. A call that died midway
    leaves an in-progress record that expires with the invocation's time budget."""

    def __init__(self, function: str, table: Table, settings: Settings) -> None:
        persistence, self.config = idempotency(function, table, settings)

        @idempotent_function(data_keyword_argument="task", persistence_store=persistence, config=self.config)  # type: ignore[untyped-decorator]
        def run(task: dict[str, str], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return action()

        self._run = run

    def __call__(self, key: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self._run(task={"key": key}, action=action)
        return result

    def register(self, context: Any) -> None:
        """The invocation's time budget bounds how long an in-progress record holds."""
        self.config.register_lambda_context(context)


class RequestOnce:
    """Staff requests carrying an ``Idempotency-Key``: the same key again returns the first
    request's answer without running it; the same key with another request is refused (422
    ``idempotency_key_reused``), and while the first is still running, 409 ``request_in_progress``."""

    def __init__(self, function: str, table: Table, settings: Settings) -> None:
        persistence, _ = idempotency(function, table, settings)
        self.config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="request",
            expires_after_seconds=REQUEST_KEY_SECONDS,
        )

        @idempotent_function(data_keyword_argument="task", persistence_store=persistence, config=self.config)  # type: ignore[untyped-decorator]
        def run(task: dict[str, str], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return action()

        self._run = run

    def __call__(self, key: str, request: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._run(task={"key": key, "request": request}, action=action)
        except IdempotencyValidationError as error:
            raise ValidationFailed(
                "this Idempotency-Key was used for another request", code="idempotency_key_reused"
            ) from error
        except IdempotencyAlreadyInProgressError as error:
            raise Conflict(
                "a request with this Idempotency-Key is still running; try again in a moment",
                code="request_in_progress",
            ) from error
        return result

    def register(self, context: Any) -> None:
        self.config.register_lambda_context(context)
