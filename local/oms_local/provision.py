"""Create a stack's resources in moto from their CloudFormation properties.

Used by the local runner and by the tests, so both run on exactly what template.yaml declares.
Resources that run code (functions, event source mappings, the HTTP API) are only named here;
the runner brings them to life.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from oms_local.template import ACCOUNT, REGION, Stack


@dataclass
class Provisioned:
    created: list[str] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)  # logical id -> type


def physical_name(stack: Stack, logical: str, limit: int = 64, suffix: str = "") -> str:
    base = f"{stack.name}-{logical}"
    return base[: limit - len(suffix)] + suffix


class Provisioner:
    """Creates each active resource in dependency order and records its Ref and attributes."""

    def __init__(
        self,
        stack: Stack,
        *,
        endpoint_url: str | None = None,
        api_endpoint: str = "http://127.0.0.1",
        rule_target: Callable[[str, dict[str, Any]], str | None] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.stack = stack
        self.time_scale = time_scale
        self.api_endpoint = api_endpoint
        # Given a rule target whose Arn is a Lambda function, return an ARN to deliver to instead.
        self.rule_target = rule_target
        # Local-only credentials: never a developer's real ones, even against moto.
        kwargs: dict[str, Any] = {
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            # One client per service is shared by every event source's poller thread.
            "config": Config(max_pool_connections=64),
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        self._client_kwargs = kwargs
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, **self._client_kwargs)
        return self._clients[service]

    def provision(self) -> Provisioned:
        result = Provisioned()
        handlers = self._handlers()
        for logical in self.stack.creation_order():
            resource = self.stack.resources[logical]
            rtype = resource["Type"]
            handler = handlers.get(rtype)
            if handler is None:
                result.unsupported[logical] = rtype
                self.stack.refs[logical] = logical
                self.stack.attrs[logical] = {}
                continue
            props = self.stack.resolve(resource.get("Properties", {}))
            ref, attrs = handler(logical, props)
            self.stack.refs[logical] = ref
            self.stack.attrs[logical] = attrs
            result.created.append(logical)
        return result

    def _handlers(self) -> dict[str, Callable[[str, dict[str, Any]], tuple[Any, dict[str, Any]]]]:
        return {
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": lambda lid, p: (lid, {}),
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": lambda lid, p: (lid, {}),
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Events::EventBus": self._bus,
            "AWS::Events::Archive": self._archive,
            "AWS::Events::Rule": self._rule,
            "AWS::SSM::Parameter": self._parameter,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::SES::EmailIdentity": self._email_identity,
            "AWS::IAM::Role": self._role,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::LayerVersion": self._layer,
            "AWS::Lambda::Permission": lambda lid, p: (lid, {}),
            "AWS::Lambda::EventSourceMapping": lambda lid, p: (str(uuid.uuid4()), {}),
            "AWS::ApiGatewayV2::Api": self._api,
            "AWS::ApiGatewayV2::Stage": lambda lid, p: (p.get("StageName", "$default"), {}),
            "AWS::Cognito::UserPoolDomain": self._user_pool_domain,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::CloudFront::OriginAccessControl": self._origin_access_control,
            # The admin app's CDN: make run serves the files itself (oms_local.app_server, with the
            # policy's headers), so these are recorded only.
            "AWS::CloudFront::ResponseHeadersPolicy": lambda lid, p: (lid, {"Id": lid}),
            "AWS::CloudFront::Distribution": self._distribution,
            "Custom::AdminAppFiles": lambda lid, p: (f"admin-app-{p.get('Bucket')}", {}),
            # AutoPublishAlias: each function runs its latest code locally.
            "AWS::Lambda::Version": lambda lid, p: (f"{p.get('FunctionName')}:1", {"Version": "1"}),
            "AWS::Lambda::Alias": lambda lid, p: (f"{p.get('FunctionName')}:{p.get('Name')}", {}),
        }

    # ------------------------------------------------------------------ data resources
    def _table(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        ddb = self.client("dynamodb")
        name = p.get("TableName") or physical_name(self.stack, logical, 255)
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        if kwargs["BillingMode"] == "PROVISIONED":
            kwargs["ProvisionedThroughput"] = p.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if p.get(index_kind):
                kwargs[index_kind] = [
                    {
                        k: v
                        for k, v in index.items()
                        if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                    }
                    for index in p[index_kind]
                ]
        if p.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": p["StreamSpecification"]["StreamViewType"],
            }
        if p.get("SSESpecification", {}).get("SSEEnabled"):
            kwargs["SSESpecification"] = {"Enabled": True}
        table = ddb.create_table(**kwargs)["TableDescription"]
        ttl = p.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        if p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        attrs = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attrs["StreamArn"] = table["LatestStreamArn"]
        return name, attrs

    def _bucket(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """An S3 bucket with the template's encryption, public access block and lifecycle."""
        s3 = self.client("s3")
        name = p.get("BucketName") or physical_name(self.stack, logical, 63).lower()
        s3.create_bucket(Bucket=name)
        if p.get("BucketEncryption"):
            rules = [
                {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if p.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    k: str(v).lower() == "true" for k, v in p["PublicAccessBlockConfiguration"].items()
                },
            )
        if p.get("LifecycleConfiguration"):
            rules = [
                {
                    "ID": r.get("Id", f"rule-{i}"),
                    "Status": r.get("Status", "Enabled"),
                    "Filter": {"Prefix": r.get("Prefix", "")},
                    **(
                        {"Expiration": {"Days": int(r["ExpirationInDays"])}}
                        if "ExpirationInDays" in r
                        else {}
                    ),
                }
                for i, r in enumerate(p["LifecycleConfiguration"]["Rules"])
            ]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        return name, {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        }

    def _queue(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        sqs = self.client("sqs")
        fifo = str(p.get("FifoQueue", "false")).lower() == "true"
        name = p.get("QueueName") or physical_name(self.stack, logical, 80, ".fifo" if fifo else "")
        attributes: dict[str, str] = {}
        for key, value in p.items():
            if key in ("QueueName", "Tags"):
                continue
            if key == "RedrivePolicy":
                attributes[key] = json.dumps(value) if isinstance(value, dict) else str(value)
            elif key == "VisibilityTimeout" and self.time_scale > 1:
                # A faster clock (--time-scale) makes failed messages come back sooner too, but
                # not sooner than a busy local function may still be working on them.
                seconds = int(value)
                attributes[key] = str(max(min(seconds, 3), round(seconds / self.time_scale)))
            elif isinstance(value, bool):
                attributes[key] = "true" if value else "false"
            else:
                attributes[key] = str(value)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}

    def _topic(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("TopicName") or physical_name(self.stack, logical, 256)
        attributes = {k: str(v) for k, v in p.items() if k in ("KmsMasterKeyId", "FifoTopic", "DisplayName")}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        return arn, {"TopicArn": arn, "TopicName": name}

    def _subscription(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        response = self.client("sns").subscribe(
            TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"], ReturnSubscriptionArn=True
        )
        return response["SubscriptionArn"], {}

    def _bus(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name, events = p["Name"], self.client("events")
        kwargs: dict[str, Any] = {"Name": name}
        if p.get("EventSourceName"):
            # A partner's bus: in AWS the partner (Shopify) made the event source for this account
            # first; locally we stand in for the partner and make it here.
            source = p["EventSourceName"]
            account = self.client("sts").get_caller_identity()["Account"]
            events.create_partner_event_source(Name=source, Account=account)
            kwargs["EventSourceName"] = source
        arn = events.create_event_bus(**kwargs)["EventBusArn"]
        return name, {"Arn": arn, "Name": name}

    def _archive(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("ArchiveName") or physical_name(self.stack, logical, 48)
        kwargs: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": p["SourceArn"]}
        if "RetentionDays" in p:
            kwargs["RetentionDays"] = int(p["RetentionDays"])
        if p.get("EventPattern"):
            kwargs["EventPattern"] = json.dumps(p["EventPattern"])
        arn = self.client("events").create_archive(**kwargs)["ArchiveArn"]
        return name, {"Arn": arn}

    def _rule(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        events = self.client("events")
        name = p.get("Name") or physical_name(self.stack, logical, 64)
        bus = p.get("EventBusName", "default")
        kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": p.get("State", "ENABLED")}
        if p.get("EventPattern"):
            pattern = p["EventPattern"]
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if p.get("ScheduleExpression"):
            kwargs["ScheduleExpression"] = p["ScheduleExpression"]
        if p.get("Description"):
            kwargs["Description"] = p["Description"]
        arn = events.put_rule(**kwargs)["RuleArn"]
        targets = []
        # Schedules are fired by the runner's scheduler (moto does not run them).
        for target in [] if p.get("ScheduleExpression") else p.get("Targets", []):
            target_arn = target["Arn"]
            if ":lambda:" in target_arn or ":function:" in target_arn:
                replacement = self.rule_target(logical, target) if self.rule_target else None
                if replacement is None:
                    continue
                target_arn = replacement
            entry = {"Id": target["Id"], "Arn": target_arn}
            if "Input" in target:
                entry["Input"] = target["Input"]
            targets.append(entry)
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        ref = name if bus == "default" else f"{bus}|{name}"
        return ref, {"Arn": arn}

    def _parameter(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("Name") or f"/{self.stack.name}/{logical}"
        self.client("ssm").put_parameter(
            Name=name, Value=str(p["Value"]), Type=p.get("Type", "String"), Overwrite=True
        )
        return name, {"Type": p.get("Type", "String"), "Value": p["Value"]}

    def _secret(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("Name") or physical_name(self.stack, logical, 256)
        value = p.get("SecretString") or secrets.token_urlsafe(32)
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        return arn, {"Id": arn}

    def _alarm(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("AlarmName") or physical_name(self.stack, logical, 255)
        keys = (
            "Namespace",
            "MetricName",
            "Dimensions",
            "Statistic",
            "Period",
            "EvaluationPeriods",
            "Threshold",
            "ComparisonOperator",
            "TreatMissingData",
            "AlarmActions",
            "OKActions",
            "AlarmDescription",
            "DatapointsToAlarm",
            "ExtendedStatistic",
            "Unit",
        )
        kwargs = {k: p[k] for k in keys if k in p}
        for k in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if k in kwargs:
                kwargs[k] = int(kwargs[k])
        if "Threshold" in kwargs:
            kwargs["Threshold"] = float(kwargs["Threshold"])
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **kwargs)
        return name, {"Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"}

    def _log_group(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("LogGroupName") or f"/{self.stack.name}/{logical}"
        logs = self.client("logs")
        logs.create_log_group(logGroupName=name)
        if p.get("RetentionInDays"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(p["RetentionInDays"]))
        return name, {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"}

    def _user_pool(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("UserPoolName") or physical_name(self.stack, logical, 128)
        pool = self.client("cognito-idp").create_user_pool(PoolName=name)["UserPool"]
        return pool["Id"], {
            "Arn": pool["Arn"],
            "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
            "ProviderURL": f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
        }

    def _user_pool_client(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        oauth = {
            k: p[k]
            for k in (
                "AllowedOAuthFlows",
                "AllowedOAuthFlowsUserPoolClient",
                "AllowedOAuthScopes",
                "CallbackURLs",
                "LogoutURLs",
                "SupportedIdentityProviders",
            )
            if k in p
        }
        response = self.client("cognito-idp").create_user_pool_client(
            UserPoolId=p["UserPoolId"],
            ClientName=p.get("ClientName") or logical,
            ExplicitAuthFlows=p.get("ExplicitAuthFlows", []),
            **oauth,
        )
        return response["UserPoolClient"]["ClientId"], {}

    def _user_pool_domain(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self.client("cognito-idp").create_user_pool_domain(Domain=p["Domain"], UserPoolId=p["UserPoolId"])
        return p["Domain"], {}

    def _user_pool_group(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        extra = {"Description": p["Description"]} if p.get("Description") else {}
        self.client("cognito-idp").create_group(GroupName=p["GroupName"], UserPoolId=p["UserPoolId"], **extra)
        return p["GroupName"], {}

    def _origin_access_control(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        response = self.client("cloudfront").create_origin_access_control(
            OriginAccessControlConfig=p["OriginAccessControlConfig"]
        )
        ident = response["OriginAccessControl"]["Id"]
        return ident, {"Id": ident}

    def _distribution(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        ident = "E" + hashlib.sha256(f"{self.stack.name}/{logical}".encode()).hexdigest()[:12].upper()
        return ident, {"Id": ident, "DomainName": f"d{ident[1:].lower()}.cloudfront.net"}

    def _email_identity(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        identity = p["EmailIdentity"]
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        return identity, {}

    # ------------------------------------------------------------------ recorded only
    def _role(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("RoleName") or physical_name(self.stack, logical, 64)
        return name, {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "RoleId": name}

    def _function(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("FunctionName") or physical_name(self.stack, logical, 64)
        return name, {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"}

    def _layer(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        name = p.get("LayerName") or physical_name(self.stack, logical, 64)
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1"
        return arn, {}

    def _api(self, logical: str, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        api_id = logical.lower()[:10]
        return api_id, {"ApiEndpoint": self.api_endpoint, "ApiId": api_id}
