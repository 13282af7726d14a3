"""Powertools idempotency records, kept in the single table (PK ``IDEMPOTENCY#<function>``, SK the
hash of the key, expiring through the table's TTL attribute)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

from oms.data.dynamo_table import Table
from oms.settings import Settings


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
