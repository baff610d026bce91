"""template.yaml: both linters, then the stack as AWS would build it, created in moto's CloudFormation.

The SAM template is translated to plain CloudFormation by aws-sam-translator (the same library SAM CLI
and the CloudFormation transform run), offline. moto then creates that stack, and the tests read back what
SQS, Lambda, IAM and EC2 say was made. moto cannot create some resource types, or cannot answer
``Fn::GetAtt`` on them (EFS); those are swapped for placeholder ARNs before the stack is created, and their
properties are checked in the translated template instead (see ``MOTO_CANNOT_CREATE``).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from watcharr.local.template import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
STACK_NAME = "watcharr-test"
ARTIFACT_BUCKET = "watcharr-artifacts"

# Types moto's CloudFormation skips (Scheduler, API Gateway v2, CloudWatch alarms, SNS subscriptions), and
# EFS, which it creates but whose Arn it cannot return to Fn::GetAtt. Checked in the translated template.
MOTO_CANNOT_CREATE = (
    "AWS::EFS::",
    "AWS::Scheduler::Schedule",
    "AWS::ApiGatewayV2::",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
)
# What SAM attaches by itself: logs, X-Ray (Tracing: Active), ENIs for VPC functions, SQS polling.
EXPECTED_MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "service-role/AWSLambdaSQSQueueExecutionRole",
}
FUNCTIONS = ("ApiFunction", "ExtractorFunction", "PersisterFunction", "QueryFunction", "PodcastSyncFunction")
VPC_FUNCTIONS = {"PersisterFunction", "QueryFunction"}


# ---- Linters -------------------------------------------------------------------------------------------


def _tool(name: str, fallback: Path) -> str:
    found = shutil.which(name) or (str(fallback) if fallback.exists() else None)
    if found is None:
        pytest.fail(f"{name} not found on PATH nor at {fallback}: run `make install`")
    return found


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    # SAM CLI would otherwise try to send telemetry; there is no network here.
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)


def test_cfn_lint_finds_nothing() -> None:
    cfn_lint = _tool("cfn-lint", Path(sys.executable).parent / "cfn-lint")
    result = _run([cfn_lint, "template.yaml"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_finds_nothing() -> None:
    sam = _tool("sam", REPO_ROOT / ".venv" / "sam" / "bin" / "sam")
    result = _run([sam, "validate", "--lint", "--template-file", "template.yaml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


# ---- Translation and the stack in moto ------------------------------------------------------------------


class _NoManagedPolicyLookups:
    """Translation asks for this map only for managed policies named without an ARN; the template has none."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the template refers to a managed policy by name; it needs an AWS lookup")


def _artifact_key(logical_id: str) -> str:
    return f"{logical_id}.zip"


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    """template.yaml as CloudFormation, with local code paths turned into S3 objects as `sam package` does."""
    return _translate({})


def _translate(parameters: dict[str, str]) -> dict[str, Any]:
    sam_template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    for logical_id, resource in sam_template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = f"s3://{ARTIFACT_BUCKET}/{_artifact_key(logical_id)}"
    return transform(sam_template, parameters, _NoManagedPolicyLookups())


def _resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _placeholder_arn(logical_id: str, attribute: str | None = None) -> str:
    return f"arn:aws:placeholder:us-east-1:123456789012:{logical_id}" + (f"/{attribute}" if attribute else "")


def _without_what_moto_cannot_create(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The template minus the resources moto cannot create, every reference to them made a placeholder."""
    gone = {k for k, v in template["Resources"].items() if v["Type"].startswith(MOTO_CANNOT_CREATE)}

    def sub_text(text: str) -> str:
        return re.sub(
            r"\$\{(\w+)(?:\.(\w+))?\}",
            lambda m: _placeholder_arn(m[1], m[2]) if m[1] in gone else m[0],
            text,
        )

    def replace(node: Any) -> Any:
        if isinstance(node, list):
            return [replace(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] in gone:
            return _placeholder_arn(node["Ref"])
        if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in gone:
            return _placeholder_arn(*node["Fn::GetAtt"])
        if set(node) == {"Fn::Sub"}:
            arg = node["Fn::Sub"]
            return {"Fn::Sub": sub_text(arg) if isinstance(arg, str) else [sub_text(arg[0]), replace(arg[1])]}
        return {key: replace(value) for key, value in node.items()}

    kept = {k: v for k, v in template["Resources"].items() if k not in gone}
    result = replace({**template, "Resources": kept})
    for resource in result["Resources"].values():
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            resource["DependsOn"] = [
                d for d in ([depends] if isinstance(depends, str) else depends) if d not in gone
            ]
    return result, gone


@dataclass(frozen=True)
class MotoStack:
    created: dict[str, str]  # logical id -> physical id
    outputs: dict[str, str]
    skipped: set[str]
    sqs: Any
    lambda_: Any
    ec2: Any


@pytest.fixture(scope="module")
def stack(translated: dict[str, Any]) -> Iterator[MotoStack]:
    # The code itself is not what these tests check (sam build/package makes the real zips): every
    # function and layer gets the same tiny placeholder archive.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(event, context):\n    return None\n")
    template, skipped = _without_what_moto_cannot_create(translated)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        for code in re.findall(r'"S3Key": "([^"]+)"', json.dumps(template)):
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=code, Body=archive.getvalue())
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        with warnings.catch_warnings():
            # moto warns for each type it skips; none is left, so a warning would be news worth failing on.
            warnings.simplefilter("error")
            cloudformation.create_stack(
                StackName=STACK_NAME, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
            )
        (described,) = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
        summaries = cloudformation.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
        yield MotoStack(
            created={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries},
            outputs={o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]},
            skipped=skipped,
            sqs=boto3.client("sqs", region_name="us-east-1"),
            lambda_=boto3.client("lambda", region_name="us-east-1"),
            ec2=boto3.client("ec2", region_name="us-east-1"),
        )


def _queue_attributes(stack: MotoStack, logical_id: str) -> dict[str, str]:
    url = stack.created[logical_id]
    return stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _function(stack: MotoStack, logical_id: str) -> dict[str, Any]:
    return stack.lambda_.get_function(FunctionName=stack.created[logical_id])


def test_every_resource_moto_supports_is_created(translated: dict[str, Any], stack: MotoStack) -> None:
    expected = set(translated["Resources"]) - stack.skipped
    assert set(stack.created) == expected
    # The skipped ones are the types listed above and nothing that holds queues or functions.
    assert {translated["Resources"][k]["Type"] for k in stack.skipped} == {
        "AWS::EFS::FileSystem",
        "AWS::EFS::MountTarget",
        "AWS::EFS::AccessPoint",
        "AWS::Scheduler::Schedule",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Subscription",
    }


def test_results_queue_is_fifo_with_explicit_deduplication(stack: MotoStack) -> None:
    attributes = _queue_attributes(stack, "ResultsQueue")
    assert attributes["QueueArn"].endswith(f"{STACK_NAME}-results.fifo")
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"
    assert _queue_attributes(stack, "ResultsDLQ")["FifoQueue"] == "true"


@pytest.mark.parametrize(
    ("queue", "dlq", "consumer"),
    [
        ("ExtractQueue", "ExtractDLQ", "ExtractorFunction"),
        ("ResultsQueue", "ResultsDLQ", "PersisterFunction"),
    ],
)
def test_queue_redrives_to_its_dlq_and_outwaits_its_consumer(
    stack: MotoStack, queue: str, dlq: str, consumer: str
) -> None:
    attributes = _queue_attributes(stack, queue)
    timeout = _function(stack, consumer)["Configuration"]["Timeout"]
    assert int(attributes["VisibilityTimeout"]) >= 6 * timeout
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == _queue_attributes(stack, dlq)["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    # A message keeps its age when moved, so the DLQ must keep messages longer than its source does.
    assert int(_queue_attributes(stack, dlq)["MessageRetentionPeriod"]) > int(
        attributes["MessageRetentionPeriod"]
    )


def test_extract_queue_is_standard(stack: MotoStack) -> None:
    assert "FifoQueue" not in _queue_attributes(stack, "ExtractQueue")


def test_extractor_polls_one_message_at_a_time_with_bounded_concurrency(stack: MotoStack) -> None:
    (mapping,) = stack.lambda_.list_event_source_mappings(FunctionName=stack.created["ExtractorFunction"])[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == _queue_attributes(stack, "ExtractQueue")["QueueArn"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}
    concurrency = stack.lambda_.get_function_concurrency(FunctionName=stack.created["ExtractorFunction"])
    assert concurrency["ReservedConcurrentExecutions"] == 5


def test_persister_polls_the_fifo_queue_one_message_at_a_time(stack: MotoStack) -> None:
    (mapping,) = stack.lambda_.list_event_source_mappings(FunctionName=stack.created["PersisterFunction"])[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == _queue_attributes(stack, "ResultsQueue")["QueueArn"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_only_the_sqs_consumers_have_event_source_mappings(stack: MotoStack) -> None:
    functions = {
        logical_id
        for logical_id in FUNCTIONS
        if stack.lambda_.list_event_source_mappings(FunctionName=stack.created[logical_id])[
            "EventSourceMappings"
        ]
    }
    assert functions == {"ExtractorFunction", "PersisterFunction"}


def test_environment_wires_each_function_to_the_real_queues_and_query_function(stack: MotoStack) -> None:
    extract_url, results_url = stack.created["ExtractQueue"], stack.created["ResultsQueue"]
    query_name = stack.created["QueryFunction"]
    environment = {
        logical_id: _function(stack, logical_id)["Configuration"]["Environment"]["Variables"]
        for logical_id in FUNCTIONS
    }
    wiring_names = (
        "WATCHARR_EXTRACT_QUEUE_URL",
        "WATCHARR_RESULTS_QUEUE_URL",
        "WATCHARR_QUERY_FUNCTION_NAME",
    )
    wiring = {fn: {k: v for k, v in env.items() if k in wiring_names} for fn, env in environment.items()}
    queues = {"WATCHARR_EXTRACT_QUEUE_URL": extract_url, "WATCHARR_RESULTS_QUEUE_URL": results_url}
    query = {"WATCHARR_QUERY_FUNCTION_NAME": query_name}
    assert wiring == {
        "ApiFunction": {**queues, **query},
        "ExtractorFunction": queues,
        "PersisterFunction": {},
        "QueryFunction": {},
        "PodcastSyncFunction": {**queues, **query},
    }
    assert stack.outputs["ExtractQueueUrl"] == extract_url
    assert stack.outputs["ResultsQueueUrl"] == results_url

    # The extractor's last attempt is the one the queue's redrive policy allows.
    redrive = json.loads(_queue_attributes(stack, "ExtractQueue")["RedrivePolicy"])
    extractor = environment["ExtractorFunction"]
    assert int(extractor["WATCHARR_EXTRACT_MAX_RECEIVE_COUNT"]) == int(redrive["maxReceiveCount"])
    assert int(extractor["WATCHARR_PLAYLIST_LIMIT"]) == 500
    for logical_id, env in environment.items():
        assert env["WATCHARR_ALLOW_PRIVATE_NETWORK"] == "false", logical_id
        assert "WATCHARR_SQS_UNSIGNED" not in env, logical_id
        on_efs = env.get("WATCHARR_DATABASE_PATH") == "/mnt/data/watcharr.db"
        assert on_efs == (logical_id in VPC_FUNCTIONS), logical_id


def test_only_the_efs_functions_sit_in_the_vpc_across_two_zones(stack: MotoStack) -> None:
    for logical_id in FUNCTIONS:
        vpc = _function(stack, logical_id)["Configuration"].get("VpcConfig") or {}
        if logical_id not in VPC_FUNCTIONS:
            assert not vpc.get("SubnetIds"), logical_id
            continue
        assert set(vpc["SubnetIds"]) == {stack.created["PrivateSubnetA"], stack.created["PrivateSubnetB"]}
        assert vpc["SecurityGroupIds"] == [stack.created["LambdaSecurityGroup"]]
    subnets = stack.ec2.describe_subnets(
        SubnetIds=[stack.created["PrivateSubnetA"], stack.created["PrivateSubnetB"]]
    )["Subnets"]
    assert len({subnet["AvailabilityZone"] for subnet in subnets}) == 2


def test_functions_reach_efs_over_nfs_only(translated: dict[str, Any], stack: MotoStack) -> None:
    # moto's CloudFormation drops SecurityGroupEgress, so the functions' egress is read from the template.
    (egress,) = translated["Resources"]["LambdaSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 2049, 2049)
    assert egress["CidrIp"] == {"Fn::GetAtt": ["Vpc", "CidrBlock"]}
    (efs_group,) = stack.ec2.describe_security_groups(GroupIds=[stack.created["EfsSecurityGroup"]])[
        "SecurityGroups"
    ]
    (ingress,) = efs_group["IpPermissions"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 2049, 2049)
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [stack.created["LambdaSecurityGroup"]]


def test_no_idle_cost_network_pieces(translated: dict[str, Any], stack: MotoStack) -> None:
    types = {resource["Type"] for resource in translated["Resources"].values()}
    assert not types & {"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::VPCEndpoint"}
    assert stack.ec2.describe_nat_gateways()["NatGateways"] == []


def test_local_mode_creates_queues_with_the_attributes_cloudformation_gives_them(stack: MotoStack) -> None:
    # The local runner builds its queues from watcharr.local.template; the same spec, created in the same
    # SQS, must come out as the stack's queues did.
    spec = load_template(TEMPLATE, stack_name="local")
    arns: dict[str, str] = {}
    compared = (
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
    )
    for queue in spec.queues:
        dlq_arn = arns.get(queue.dlq_logical_id) if queue.dlq_logical_id else None
        url = stack.sqs.create_queue(QueueName=queue.name, Attributes=queue.sqs_attributes(dlq_arn))[
            "QueueUrl"
        ]
        local = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        arns[queue.logical_id] = local["QueueArn"]
        deployed = _queue_attributes(stack, queue.logical_id)
        assert {k: local.get(k) for k in compared} == {k: deployed.get(k) for k in compared}, queue.logical_id
        if "RedrivePolicy" in deployed:
            assert json.loads(local["RedrivePolicy"])["maxReceiveCount"] == int(
                json.loads(deployed["RedrivePolicy"])["maxReceiveCount"]
            )


# ---- What moto cannot create, checked in the translated template -----------------------------------------


def test_every_function_runs_python_313_with_both_layers_and_tracing(translated: dict[str, Any]) -> None:
    # SAM suffixes layer logical ids with a content hash, so a new version is published on each change.
    layers = set(_resources_of(translated, "AWS::Lambda::LayerVersion"))
    deps = next(k for k in layers if k.startswith("DepsLayer"))
    shared = next(k for k in layers if k.startswith("SharedLayer"))
    functions = _resources_of(translated, "AWS::Lambda::Function")
    assert set(functions) == set(FUNCTIONS)
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13", logical_id
        assert properties["Architectures"] == ["x86_64"], logical_id
        assert properties["Handler"] == "app.handler", logical_id
        assert properties["TracingConfig"] == {"Mode": "Active"}, logical_id
        assert properties["Layers"] == [{"Ref": deps}, {"Ref": shared}], logical_id
    for layer in (deps, shared):
        assert translated["Resources"][layer]["Properties"]["CompatibleRuntimes"] == ["python3.13"]


def test_persister_and_query_mount_the_access_point_and_only_the_persister_may_write(
    translated: dict[str, Any],
) -> None:
    resources = translated["Resources"]
    for logical_id in VPC_FUNCTIONS:
        assert resources[logical_id]["Properties"]["FileSystemConfigs"] == [
            {"Arn": {"Fn::GetAtt": ["AccessPoint", "Arn"]}, "LocalMountPath": "/mnt/data"}
        ]
        assert set(resources[logical_id]["DependsOn"]) >= {"MountTargetA", "MountTargetB"}
    efs_actions = {
        role: {action for statement in _role_statements(resource) for action in _actions(statement)}
        for role, resource in _resources_of(translated, "AWS::IAM::Role").items()
    }
    mounts = {role for role, actions in efs_actions.items() if "elasticfilesystem:ClientMount" in actions}
    writes = {role for role, actions in efs_actions.items() if "elasticfilesystem:ClientWrite" in actions}
    assert mounts == {"PersisterFunctionRole", "QueryFunctionRole"}
    assert writes == {"PersisterFunctionRole"}
    # Without a file system policy EFS would let any client write, whatever the roles say.
    (grant,) = resources["FileSystem"]["Properties"]["FileSystemPolicy"]["Statement"]
    assert grant["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def test_efs_is_encrypted_kept_and_reached_through_both_subnets(translated: dict[str, Any]) -> None:
    resources = translated["Resources"]
    file_system = resources["FileSystem"]
    assert file_system["Properties"]["Encrypted"] is True
    assert file_system["DeletionPolicy"] == "Retain"
    access_point = resources["AccessPoint"]["Properties"]
    assert access_point["PosixUser"] == {"Uid": "1000", "Gid": "1000"}
    assert access_point["RootDirectory"]["Path"] == "/watcharr"
    subnets = {
        target["Properties"]["SubnetId"]["Ref"]
        for target in _resources_of(translated, "AWS::EFS::MountTarget").values()
    }
    assert subnets == {"PrivateSubnetA", "PrivateSubnetB"}


def test_podcast_sync_runs_on_the_sync_rate(translated: dict[str, Any]) -> None:
    (schedule,) = _resources_of(translated, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == {"Ref": "SyncRate"}
    assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": ["PodcastSyncFunction", "Arn"]}
    assert translated["Parameters"]["SyncRate"]["Default"] == "rate(1 hour)"


def test_http_api_sends_every_api_path_to_the_api_function_without_an_authorizer(
    translated: dict[str, Any],
) -> None:
    (api,) = _resources_of(translated, "AWS::ApiGatewayV2::Api").values()
    paths = api["Properties"]["Body"]["paths"]
    # SAM names the $default route "/$default" in the document (FailOnWarnings) and marks it default.
    assert set(paths) == {"/api/{proxy+}", "/", "/app/{proxy+}", "/$default"}
    catch_all = paths["/$default"]["x-amazon-apigateway-any-method"]
    assert catch_all["isDefaultRoute"] is True
    assert "${ApiFunction.Arn}" in catch_all["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    integration = paths["/api/{proxy+}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
    assert "${ApiFunction.Arn}" in integration["uri"]["Fn::Sub"]
    # The web page and its files: GET only, to the same function.
    for page_path in ("/", "/app/{proxy+}"):
        assert set(paths[page_path]) == {"get"}
        assert (
            "${ApiFunction.Arn}"
            in paths[page_path]["get"]["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        )
    assert "security" not in json.dumps(api) and "Authorizer" not in json.dumps(translated)


def test_both_dead_letter_queues_raise_an_alarm_on_the_first_message(translated: dict[str, Any]) -> None:
    alarmed = set()
    alarms = _resources_of(translated, "AWS::CloudWatch::Alarm")
    poison = alarms.pop("PoisonMessageAlarm")["Properties"]
    # The persister's own count of messages it recorded as dead letters at once (logic/poison.py).
    assert (poison["Namespace"], poison["MetricName"], poison["Statistic"]) == (
        "Watcharr",
        "PoisonMessages",
        "Sum",
    )
    assert (poison["Threshold"], poison["AlarmActions"]) == (1, [{"Ref": "AlarmTopic"}])
    for alarm in alarms.values():
        properties = alarm["Properties"]
        assert (properties["Namespace"], properties["MetricName"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        )
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["Threshold"] == 1
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        (dimension,) = properties["Dimensions"]
        alarmed.add(dimension["Value"]["Fn::GetAtt"][0])
    assert alarmed == {"ExtractDLQ", "ResultsDLQ"}


# ---- IAM: least privilege --------------------------------------------------------------------------------


def _role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _all_policy_statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every statement of every policy document anywhere in the template (roles, resource policies...)."""
    if isinstance(node, dict):
        statements = node.get("Statement")
        if isinstance(statements, list):
            yield from (statement for statement in statements if isinstance(statement, dict))
        for value in node.values():
            yield from _all_policy_statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_policy_statements(item)


def test_no_statement_allows_every_action_on_every_resource(translated: dict[str, Any]) -> None:
    statements = list(_all_policy_statements(translated["Resources"]))
    assert len(statements) > 10
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        wildcard_actions = [a for a in _actions(statement) if a == "*" or a.endswith(":*")]
        resources = statement.get("Resource", "*")
        resources = resources if isinstance(resources, list) else [resources]
        assert not (wildcard_actions and "*" in resources), statement
        assert "*" not in _actions(statement), statement


def test_roles_attach_only_the_managed_policies_sam_needs(translated: dict[str, Any]) -> None:
    attached = {
        arn.split(":policy/", 1)[1]
        for role in _resources_of(translated, "AWS::IAM::Role").values()
        for arn in role["Properties"].get("ManagedPolicyArns", [])
    }
    assert attached == EXPECTED_MANAGED_POLICIES


def test_who_may_send_and_invoke(translated: dict[str, Any]) -> None:
    def roles_granting(action: str, target: str) -> set[str]:
        return {
            role.removesuffix("Role")
            for role, resource in _resources_of(translated, "AWS::IAM::Role").items()
            for statement in _role_statements(resource)
            if any(
                a == action or (a.endswith("*") and action.startswith(a[:-1])) for a in _actions(statement)
            )
            and target in json.dumps(statement.get("Resource"))
        }

    senders = {"ApiFunction", "ExtractorFunction", "PodcastSyncFunction"}
    assert roles_granting("sqs:SendMessage", '"ExtractQueue"') == senders
    assert roles_granting("sqs:SendMessage", '"ResultsQueue"') == senders
    # The persister keeps poison messages in the database: no function sends to the results DLQ.
    assert roles_granting("sqs:SendMessage", '"ResultsDLQ"') == set()
    assert roles_granting("lambda:InvokeFunction", '"QueryFunction"') == {
        "ApiFunction",
        "PodcastSyncFunction",
    }


def _cors(translated: dict[str, Any]) -> Any:
    (api,) = _resources_of(translated, "AWS::ApiGatewayV2::Api").values()
    return api["Properties"]["Body"].get("x-amazon-apigateway-cors")


def test_cors_comes_from_allowed_origins_and_is_off_when_empty(translated: dict[str, Any]) -> None:
    assert translated["Parameters"]["AllowedOrigins"]["Default"] == ""
    assert translated["Conditions"]["HasAllowedOrigins"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedOrigins"}, ""]}]
    }
    condition, _, none = _cors(translated)["Fn::If"]
    assert (condition, none) == ("HasAllowedOrigins", {"Ref": "AWS::NoValue"})
    # Deployed with origins, browsers on exactly those hosts may send the token header
    origins = "https://app.example.com,https://bookmarklet.example.org"
    with_origins = _translate({"AllowedOrigins": origins})
    _, allowed, _ = _cors(with_origins)["Fn::If"]
    assert allowed["allowOrigins"] == {"Fn::Split": [",", origins]}
    assert "x-api-token" in allowed["allowHeaders"]
    assert set(allowed["allowMethods"]) >= {"GET", "POST", "PATCH", "DELETE"}
    pattern = re.compile(translated["Parameters"]["AllowedOrigins"]["AllowedPattern"])
    assert pattern.fullmatch(origins) and pattern.fullmatch("")
    assert not pattern.fullmatch("app.example.com") and not pattern.fullmatch("https://a.example, https://b")
