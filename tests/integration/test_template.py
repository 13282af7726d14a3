"""What template.yaml promises, checked on the CloudFormation the SAM translator produces."""

from __future__ import annotations

from typing import Any

import pytest

from oms_local.cloud import ROOT
from oms_local.template import Stack, load


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load(ROOT / "template.yaml")


def _resources(stack: Stack, rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in stack.resources.items() if r["Type"] == rtype}


def _ref_name(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return str(att[0] if isinstance(att, list) else att.split(".")[0])
    return None


def test_every_queue_consumer_has_a_dlq_and_a_visibility_of_six_times_its_timeout(stack: Stack) -> None:
    functions = _resources(stack, "AWS::Lambda::Function")
    queues = _resources(stack, "AWS::SQS::Queue")
    mappings = _resources(stack, "AWS::Lambda::EventSourceMapping")
    sqs_mappings = [
        m["Properties"] for m in mappings.values() if _ref_name(m["Properties"]["EventSourceArn"]) in queues
    ]
    assert sqs_mappings
    for props in sqs_mappings:
        queue = queues[_ref_name(props["EventSourceArn"])]["Properties"]  # type: ignore[index]
        function = functions[_ref_name(props["FunctionName"])]["Properties"]  # type: ignore[index]
        assert int(queue["VisibilityTimeout"]) >= 6 * int(function["Timeout"])
        assert "RedrivePolicy" in queue
        assert "ReportBatchItemFailures" in props["FunctionResponseTypes"]


def test_every_dead_letter_destination_has_an_alarm_to_the_alerts_topic(stack: Stack) -> None:
    queues = _resources(stack, "AWS::SQS::Queue")
    dlqs = {
        _ref_name(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    for mapping in _resources(stack, "AWS::Lambda::EventSourceMapping").values():
        on_failure = (
            mapping["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        )
        if on_failure:
            dlqs.add(_ref_name(on_failure))
    alarmed = {
        _ref_name(alarm["Properties"]["Dimensions"][0]["Value"])
        for alarm in _resources(stack, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    }
    assert dlqs
    assert dlqs <= alarmed


def test_the_intake_queue_is_fifo_per_order(stack: Stack) -> None:
    props = stack.resources["IntakeQueue"]["Properties"]
    assert props["FifoQueue"] is True
    assert (props["DeduplicationScope"], props["FifoThroughputLimit"]) == (
        "messageGroup",
        "perMessageGroupId",
    )


def test_the_table_is_on_demand_recoverable_encrypted_and_streamed(stack: Stack) -> None:
    props = stack.resources["OmsTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert stack.resources["OmsTable"]["DeletionPolicy"] == "Retain"


def test_the_layer_is_built_by_sam_from_shared(stack: Stack) -> None:
    from cfnlint.decode import decode_str

    sam, _ = decode_str((ROOT / "template.yaml").read_text())
    layer = sam["Resources"]["SharedLayer"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert (ROOT / "shared" / "oms" / "__init__.py").exists()
    assert not (ROOT / "shared" / "python").exists()
    for function in _resources(stack, "AWS::Lambda::Function").values():
        assert function["Properties"]["Runtime"] == "python3.13"
        assert function["Properties"]["Architectures"] == ["arm64"]


DATA_SERVICES = ("dynamodb:", "sqs:", "sns:", "ssm:", "secretsmanager:", "events:", "ses:", "kms:")


def test_no_iam_statement_grants_wildcards_on_data_stores(stack: Stack) -> None:
    statements = []
    for role in _resources(stack, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            name = arn if isinstance(arn, str) else str(arn.get("Fn::Sub", ""))
            assert name.endswith(("AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess")), name
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if not any(str(a).startswith(DATA_SERVICES) for a in actions):
            continue
        assert all(a != "*" and not str(a).endswith(":*") for a in actions), statement
        assert all(r != "*" for r in resources), statement


def test_admin_routes_need_the_jwt_and_webhooks_do_not(stack: Stack) -> None:
    body = stack.resources["HttpApi"]["Properties"]["Body"]
    for path, operations in body["paths"].items():
        for operation in operations.values():
            # signed by the store / a signed link / the customer returns page (checks who asks itself)
            if path.startswith(("/webhooks/", "/choices/", "/returns/page/")) or path == "/returns/start":
                assert operation.get("security") in (None, [], [{"NONE": []}]), path
            else:
                assert operation["security"] == [{"OmsJwt": []}], path
