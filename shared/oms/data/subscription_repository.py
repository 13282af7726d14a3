"""Outbound webhook subscriptions (oms.outbound_webhooks): ``SUBSCRIPTION#<id> / SUBSCRIPTION``
(GSI1 ``SUBSCRIPTIONS``), their secrets in SSM (``<prefix>/subscriptions/<id>``, SecureString, never
returned after the answer that made them), their delivery health kept by atomic counters, a
subscription's once-per-while alert, and the replays staff asked for (``REPLAY#<name>``)."""

from __future__ import annotations

import builtins
import time
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from oms.data import table_keys as keys
from oms.data.aws_clients import client
from oms.data.dynamo_table import Page, Table, decode_cursor, encode_cursor
from oms.data.item_codec import from_item, to_attr, to_item
from oms.errors import Conflict, NotFound
from oms.outbound_webhooks import DeliveryStatus, ReplayWindow, Subscription
from oms.settings import Settings, get_settings
from oms.timeutil import iso

_KEYS = {"PK", "SK", "entity", "GSI1PK", "GSI1SK", "expires_at"}
_HEALTH = ("delivered", "failed_attempts", "dead_lettered", "consecutive_failures")


def _subscription(item: dict[str, Any]) -> Subscription:
    data = {k: v for k, v in from_item(item).items() if k not in _KEYS}
    health = {k: data.pop(k) for k in list(data) if k in _HEALTH or k.startswith("last_")}
    return Subscription.model_validate({**data, "health": health})


class SubscriptionRepository:
    def __init__(
        self, table: Table | None = None, settings: Settings | None = None, *, cache_seconds: float = 0
    ) -> None:
        self.table = table or Table()
        self.settings = settings or get_settings()
        self.ssm = client("ssm")
        self.cache_seconds = cache_seconds
        self._all: tuple[float, list[Subscription]] | None = None
        self._secrets: dict[str, tuple[float, str]] = {}

    def _secret_name(self, subscription_id: str) -> str:
        return f"{self.settings.parameter_prefix}/subscriptions/{subscription_id}"

    def create(self, subscription: Subscription, secret: str) -> None:
        """The secret first: a subscription is only ever seen once its deliveries can be signed.
        Conflict when the id is taken (the same Idempotency-Key again)."""
        try:
            self.ssm.put_parameter(
                Name=self._secret_name(subscription.subscription_id),
                Value=secret,
                Type="SecureString",
                Overwrite=False,
                Tier="Standard",
                Description="OMS outbound webhook signing secret (managed by the OMS admin API)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ParameterAlreadyExists":
                raise Conflict(
                    "this Idempotency-Key made a subscription already (its secret was in that answer)",
                    code="subscription_exists",
                ) from exc
            raise
        data = subscription.model_dump(mode="json", exclude={"health"}, exclude_none=True)
        item = {
            "PK": keys.subscription_pk(subscription.subscription_id),
            "SK": keys.SUBSCRIPTION_SK,
            "entity": "subscription",
            "GSI1PK": keys.SUBSCRIPTIONS,
            "GSI1SK": subscription.subscription_id,
            **data,
            **dict.fromkeys(_HEALTH, 0),
        }
        self.table.ddb.put_item(TableName=self.table.name, Item=to_item(item))

    def get(self, subscription_id: str) -> Subscription:
        item = self.table.get(keys.subscription_pk(subscription_id), keys.SUBSCRIPTION_SK)
        if item is None:
            raise NotFound(f"no subscription {subscription_id!r}", code="subscription_not_found")
        return _subscription(item)

    def find(self, subscription_id: str) -> Subscription | None:
        item = self.table.get(keys.subscription_pk(subscription_id), keys.SUBSCRIPTION_SK)
        return _subscription(item) if item else None

    def list(self, *, limit: int, cursor: str | None) -> Page:
        kwargs: dict[str, Any] = {
            "IndexName": keys.GSI_BY_STORE,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.SUBSCRIPTIONS}},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self.table.query(**kwargs)
        ids = [item["GSI1SK"]["S"] for item in response.get("Items", [])]
        found = {s.subscription_id: s for s in self._many(ids)}
        last = response.get("LastEvaluatedKey")
        return Page(
            items=[found[i].model_dump(mode="json") for i in ids if i in found],
            cursor=encode_cursor(last) if last else None,
        )

    def all(self) -> builtins.list[Subscription]:
        """Every subscription (cached ``cache_seconds``: a new one gets events within that time)."""
        now = time.monotonic()
        if self._all and self._all[0] > now:
            return list(self._all[1])
        out: builtins.list[Subscription] = []
        cursor = None
        while True:
            page = self.list(limit=100, cursor=cursor)
            out += [Subscription.model_validate(s) for s in page.items]
            if not page.cursor:
                break
            cursor = page.cursor
        if self.cache_seconds:
            self._all = (now + self.cache_seconds, out)
        return out

    def _many(self, ids: builtins.list[str]) -> builtins.list[Subscription]:
        return [
            _subscription(i)
            for i in self.table.batch_get([(keys.subscription_pk(x), keys.SUBSCRIPTION_SK) for x in ids])
        ]

    def delete(self, subscription_id: str) -> None:
        self.get(subscription_id)
        self.table.ddb.delete_item(
            TableName=self.table.name,
            Key={"PK": {"S": keys.subscription_pk(subscription_id)}, "SK": {"S": keys.SUBSCRIPTION_SK}},
        )
        try:
            self.ssm.delete_parameter(Name=self._secret_name(subscription_id))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterNotFound":
                raise

    def secret(self, subscription_id: str) -> str | None:
        """The signing secret (cached 5 minutes), or None for a deleted subscription."""
        now = time.monotonic()
        cached = self._secrets.get(subscription_id)
        if cached and cached[0] > now:
            return cached[1]
        try:
            value = str(
                self.ssm.get_parameter(Name=self._secret_name(subscription_id), WithDecryption=True)[
                    "Parameter"
                ]["Value"]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise
        self._secrets[subscription_id] = (now + 300, value)
        return value

    def record_attempt(
        self, subscription_id: str, *, ok: bool, code: str, at: datetime, dead: bool = False
    ) -> None:
        """One delivery attempt on the subscription's health (atomic counters; a deleted
        subscription records nothing)."""
        values: dict[str, Any] = {":one": to_attr(1), ":at": to_attr(iso(at)), ":code": to_attr(code)}
        if ok:
            update = (
                "SET last_status = :s, last_code = :code, last_attempt_at = :at, last_delivered_at = :at,"
                " consecutive_failures = :zero ADD delivered :one"
            )
            values |= {":s": to_attr(DeliveryStatus.DELIVERED.value), ":zero": to_attr(0)}
        else:
            status = DeliveryStatus.DEAD if dead else DeliveryStatus.FAILING
            update = (
                "SET last_status = :s, last_code = :code, last_attempt_at = :at"
                " ADD failed_attempts :one, consecutive_failures :one"
                + (", dead_lettered :one" if dead else "")
            )
            values[":s"] = to_attr(status.value)
        self.table.update_if(
            keys.subscription_pk(subscription_id),
            keys.SUBSCRIPTION_SK,
            update=update,
            condition="attribute_exists(PK)",
            values=values,
        )

    def raise_once(self, subscription_id: str, kind: str, *, now: datetime, quiet: timedelta) -> bool:
        """True the first time in ``quiet`` (a subscriber down for a day alerts staff once a while,
        not once per event)."""
        item = to_item(
            {
                "PK": keys.subscription_pk(subscription_id),
                "SK": f"ALERT#{kind}",
                "entity": "subscription_alert",
                "raised_at": iso(now),
                "expires_at": int((now + quiet).timestamp()),
            }
        )
        return self.table.put_if(
            item,
            condition="attribute_not_exists(PK) OR expires_at < :now",
            values={":now": {"N": str(int(now.timestamp()))}},
        )

    def save_replay(self, window: ReplayWindow) -> None:
        item = to_item(
            {
                "PK": keys.replay_pk(window.name),
                "SK": keys.REPLAY_SK,
                "entity": "replay",
                **window.model_dump(mode="json"),
                "expires_at": int((window.until + timedelta(days=7)).timestamp()),
            }
        )
        self.table.ddb.put_item(TableName=self.table.name, Item=item)

    def replay(self, name: str) -> ReplayWindow | None:
        item = self.table.get(keys.replay_pk(name), keys.REPLAY_SK)
        if item is None:
            return None
        return ReplayWindow.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})
