"""The template reader local mode relies on: the real template.yaml, and small inline ones for edge cases."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from watcharr.local.template import (
    StackSpec,
    TemplateError,
    load_template,
    parse_rate,
    parse_template,
)
from watcharr.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"


@pytest.fixture(scope="module")
def stack() -> StackSpec:
    return load_template(TEMPLATE)


def write_template(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# ---- The real template ------------------------------------------------------------------------------


def test_results_queue_is_fifo_with_explicit_dedup_and_a_fifo_dlq(stack: StackSpec) -> None:
    results = stack.queue("ResultsQueue")
    assert results.name == "watcharr-results.fifo"
    assert results.fifo and not results.content_based_dedup
    assert (results.deduplication_scope, results.fifo_throughput_limit) == ("queue", "perQueue")
    assert results.dlq_logical_id == "ResultsDLQ"
    assert results.max_receive_count == 5
    dlq = stack.queue("ResultsDLQ")
    assert dlq.fifo and dlq.name.endswith(".fifo")


def test_extract_queue_is_standard_with_a_dlq(stack: StackSpec) -> None:
    extract = stack.queue("ExtractQueue")
    assert extract.name == "watcharr-extract"
    assert not extract.fifo
    assert extract.dlq_logical_id == "ExtractDLQ"
    assert extract.max_receive_count == 5


def test_dead_letter_queues_come_before_the_queues_that_use_them(stack: StackSpec) -> None:
    order = [queue.logical_id for queue in stack.queues]
    for queue in stack.queues:
        if queue.dlq_logical_id is not None:
            assert order.index(queue.dlq_logical_id) < order.index(queue.logical_id)


def test_every_polled_queue_hides_messages_six_times_its_consumer_timeout(stack: StackSpec) -> None:
    # Lambda's SQS event source needs this, or a slow invocation's message is delivered twice.
    assert stack.event_sources
    for source in stack.event_sources:
        consumer = stack.function(source.function_logical_id)
        assert stack.queue(source.queue_logical_id).visibility_timeout >= 6 * consumer.timeout


def test_extraction_concurrency_bounds_both_the_event_source_and_the_function(stack: StackSpec) -> None:
    (source,) = [s for s in stack.event_sources if s.queue_logical_id == "ExtractQueue"]
    assert source.function_logical_id == "ExtractorFunction"
    assert source.batch_size == 1
    assert (
        source.maximum_concurrency == source.reserved_concurrency == stack.parameters["ExtractionConcurrency"]
    )
    assert source.report_batch_item_failures


def test_persister_takes_one_message_at_a_time_from_the_fifo_queue(stack: StackSpec) -> None:
    (source,) = [s for s in stack.event_sources if s.queue_logical_id == "ResultsQueue"]
    assert source.function_logical_id == "PersisterFunction"
    assert source.batch_size == 1
    assert source.report_batch_item_failures


def test_parameter_overrides_change_the_concurrency(tmp_path: Path) -> None:
    stack = load_template(TEMPLATE, parameter_overrides={"ExtractionConcurrency": "3"})
    (source,) = [s for s in stack.event_sources if s.function_logical_id == "ExtractorFunction"]
    assert source.maximum_concurrency == source.reserved_concurrency == 3


@pytest.mark.parametrize(
    "overrides",
    [{"ExtractionConcurrency": "1"}, {"SyncRate": "cron(0 * * * ? *)"}, {"NoSuchParameter": "1"}],
)
def test_overrides_the_template_refuses_are_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(TemplateError):
        load_template(TEMPLATE, parameter_overrides=overrides)


def test_local_stack_name_replaces_the_stack_name_in_queue_names() -> None:
    stack = load_template(TEMPLATE, stack_name="demo")
    assert {queue.name for queue in stack.queues} == {
        "demo-extract",
        "demo-extract-dlq",
        "demo-results.fifo",
        "demo-results-dlq.fifo",
    }


def test_podcast_sync_runs_hourly_by_default(stack: StackSpec) -> None:
    (schedule,) = stack.schedules
    assert schedule.function_logical_id == "PodcastSyncFunction"
    assert schedule.expression == "rate(1 hour)"
    assert schedule.rate_seconds == 3600


def test_api_function_serves_every_api_path_and_the_web_page(stack: StackSpec) -> None:
    routes = {(route.function_logical_id, route.method, route.path) for route in stack.http_routes}
    assert routes == {
        ("ApiFunction", "ANY", "/api/{proxy+}"),
        ("ApiFunction", "GET", "/"),
        ("ApiFunction", "GET", "/app/{proxy+}"),
        # Every other path, so that it too is answered in the API's JSON error shape.
        ("ApiFunction", "ANY", "$default"),
    }


def test_cors_is_off_by_default_and_comes_from_allowed_origins() -> None:
    assert load_template(TEMPLATE).cors is None
    origins = "https://app.example.com,https://b.example.org"
    cors = load_template(TEMPLATE, parameter_overrides={"AllowedOrigins": origins}).cors
    assert cors is not None
    assert cors.allow_origins == ("https://app.example.com", "https://b.example.org")
    assert "x-api-token" in cors.allow_headers and "PATCH" in cors.allow_methods
    assert cors.allowed_origin("https://b.example.org") == "https://b.example.org"
    assert cors.allowed_origin("https://evil.example") is None and cors.allowed_origin(None) is None
    with pytest.raises(TemplateError):
        load_template(TEMPLATE, parameter_overrides={"AllowedOrigins": "app.example.com"})


def test_every_function_handler_is_a_file_in_its_code_dir(stack: StackSpec) -> None:
    assert {fn.logical_id for fn in stack.functions} == {
        "ApiFunction",
        "ExtractorFunction",
        "PersisterFunction",
        "QueryFunction",
        "PodcastSyncFunction",
    }
    for function in stack.functions:
        module, _, attribute = function.handler.partition(".")
        source = function.code_dir / f"{module}.py"
        assert source.is_file(), f"{function.logical_id}: no {source}"
        assert f"def {attribute}(" in source.read_text(encoding="utf-8")


def test_environment_wires_each_function_to_its_queues(stack: StackSpec) -> None:
    wiring = {fn.logical_id: (fn.queue_urls, fn.function_names) for fn in stack.functions}
    both_queues = {"WATCHARR_EXTRACT_QUEUE_URL": "ExtractQueue", "WATCHARR_RESULTS_QUEUE_URL": "ResultsQueue"}
    query = {"WATCHARR_QUERY_FUNCTION_NAME": "QueryFunction"}
    assert wiring == {
        "ApiFunction": (both_queues, query),
        "ExtractorFunction": (both_queues, {}),
        "PersisterFunction": ({}, {}),
        "QueryFunction": ({}, {}),
        "PodcastSyncFunction": (both_queues, query),
    }


def test_only_the_functions_on_efs_are_given_the_database_path(stack: StackSpec) -> None:
    with_database = {fn.logical_id for fn in stack.functions if "WATCHARR_DATABASE_PATH" in fn.environment}
    assert with_database == {"PersisterFunction", "QueryFunction"}


def test_template_environment_is_what_settings_reads(stack: StackSpec) -> None:
    # A misspelt variable name would be ignored by Settings.from_env and silently fall back to a default.
    fields = {f"WATCHARR_{name.upper()}" for name in Settings.model_fields}
    urls = {
        "ExtractQueue": "http://sqs/extract",
        "ResultsQueue": "http://sqs/results.fifo",
        "ResultsDLQ": "http://sqs/results-dlq.fifo",
    }
    names = {"QueryFunction": "watcharr-QueryFunction"}
    for function in stack.functions:
        env = function.resolved_environment(urls, names)
        assert {name for name in env if name.startswith("WATCHARR_")} <= fields, function.logical_id
        settings = Settings.from_env(env)
        assert settings.allow_private_network is False
        assert settings.sqs_unsigned is False
        if function.logical_id == "ExtractorFunction":
            assert settings.extract_max_receive_count == stack.queue("ExtractQueue").max_receive_count
            assert settings.playlist_limit == stack.parameters["PlaylistLimit"]
            assert settings.results_queue_url == urls["ResultsQueue"]


def test_fifo_queue_attributes_carry_the_redrive_policy(stack: StackSpec) -> None:
    dlq_arn = "arn:aws:sqs:us-east-1:000000000000:watcharr-results-dlq.fifo"
    attributes = stack.queue("ResultsQueue").sqs_attributes(dlq_arn)
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["VisibilityTimeout"] == "180"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    with pytest.raises(TemplateError):
        stack.queue("ResultsQueue").sqs_attributes()


# ---- Edge cases on inline templates ----------------------------------------------------------------------


def test_short_form_tags_become_long_form_intrinsics() -> None:
    document = parse_template(
        textwrap.dedent(
            """
            Resources:
              Thing:
                Type: Custom::Thing
                Properties:
                  A: !Ref Param
                  B: !GetAtt Queue.Arn
                  C: !Sub ["${X}-y", {X: !Ref Param}]
                  D: !If [IsProd, !Select [0, !GetAZs ""], !Ref AWS::NoValue]
                  E: !Join ["-", [a, !FindInMap [M, K, V]]]
                Condition: !Equals [!Ref Param, "x"]
            """
        )
    )
    props = document["Resources"]["Thing"]["Properties"]
    assert props["A"] == {"Ref": "Param"}
    assert props["B"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["C"] == {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Param"}}]}
    assert props["D"] == {
        "Fn::If": ["IsProd", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Ref": "AWS::NoValue"}]
    }
    assert props["E"] == {"Fn::Join": ["-", ["a", {"Fn::FindInMap": ["M", "K", "V"]}]]}
    assert document["Resources"]["Thing"]["Condition"] == {"Fn::Equals": [{"Ref": "Param"}, "x"]}


def test_unnamed_queues_take_their_logical_id_and_sqs_defaults(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        """
        Resources:
          Plain:
            Type: AWS::SQS::Queue
          Ordered:
            Type: AWS::SQS::Queue
            Properties:
              FifoQueue: true
              ContentBasedDeduplication: true
        """,
    )
    stack = load_template(path)
    plain, ordered = stack.queue("Plain"), stack.queue("Ordered")
    assert (plain.name, plain.fifo, plain.visibility_timeout) == ("Plain", False, 30)
    assert (ordered.name, ordered.fifo, ordered.content_based_dedup) == ("Ordered.fifo", True, True)
    assert plain.dlq_logical_id is None and plain.max_receive_count is None
    assert "RedrivePolicy" not in plain.sqs_attributes()


def test_conditions_sub_escapes_and_no_value_are_honoured(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        """
        Parameters:
          Stage:
            Type: String
            Default: dev
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Globals:
          Function:
            Timeout: 7
            Environment:
              Variables:
                SHARED: from-globals
                OVERRIDDEN: globals
        Resources:
          ProdOnly:
            Type: AWS::SQS::Queue
            Condition: IsProd
          Work:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !Sub "${AWS::StackName}-${Stage}-work"
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: main.run
              Environment:
                Variables:
                  OVERRIDDEN: function
                  LITERAL: !Sub "${!NotAVariable}"
                  MAYBE: !If [IsProd, "yes", !Ref AWS::NoValue]
                  FLAG: true
                  WORK_URL: !Ref Work
              Events:
                Poll:
                  Type: SQS
                  Properties:
                    Queue: !GetAtt Work.Arn
        """,
    )
    stack = load_template(path, stack_name="local")
    assert [queue.logical_id for queue in stack.queues] == ["Work"]
    assert stack.queue("Work").name == "local-dev-work"
    worker = stack.function("Worker")
    assert worker.code_dir == (tmp_path / "src").resolve()
    assert (worker.handler, worker.timeout) == ("main.run", 7)
    assert worker.environment == {
        "SHARED": "from-globals",
        "OVERRIDDEN": "function",
        "LITERAL": "${NotAVariable}",
        "FLAG": "true",
    }
    assert worker.queue_urls == {"WORK_URL": "Work"}
    (source,) = stack.event_sources
    assert (source.batch_size, source.maximum_concurrency, source.report_batch_item_failures) == (
        10,
        None,
        False,
    )

    prod = load_template(path, stack_name="local", parameter_overrides={"Stage": "prod"})
    assert {queue.logical_id for queue in prod.queues} == {"ProdOnly", "Work"}
    assert prod.function("Worker").environment["MAYBE"] == "yes"


@pytest.mark.parametrize(
    ("environment_value", "event"),
    [
        ("!GetAtt Work.Arn", "{Type: SQS, Properties: {Queue: !GetAtt Work.Arn}}"),
        ("plain", "{Type: Schedule, Properties: {Schedule: 'cron(0 12 * * ? *)'}}"),
        ("plain", "{Type: Schedule, Properties: {ScheduleExpression: 'cron(0 12 * * ? *)'}}"),
        ("plain", "{Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:elsewhere}}"),
        ("plain", "{Type: HttpApi, Properties: {Method: GET}}"),
        ("plain", "{Type: HttpApi, Properties: {Path: api/x, Method: GET}}"),
        ("plain", "{Type: S3, Properties: {Bucket: !Ref Work}}"),
    ],
)
def test_what_local_mode_cannot_play_is_refused(tmp_path: Path, environment_value: str, event: str) -> None:
    path = write_template(
        tmp_path,
        f"""
        Resources:
          Work:
            Type: AWS::SQS::Queue
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Environment:
                Variables:
                  VALUE: {environment_value}
              Events:
                Trigger: {event}
        """,
    )
    with pytest.raises(TemplateError):
        load_template(path)


def test_a_dead_letter_queue_that_is_not_in_the_template_is_refused(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        """
        Resources:
          Work:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy:
                deadLetterTargetArn: !GetAtt Missing.Arn
                maxReceiveCount: 3
        """,
    )
    with pytest.raises(TemplateError, match="Missing"):
        load_template(path)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(15 minutes)", 900),
        ("rate(1 hour)", 3600),
        ("rate(6 hours)", 21600),
        ("rate(1 day)", 86400),
        ("rate(2 days)", 172800),
    ],
)
def test_rate_expressions_become_seconds(expression: str, seconds: int) -> None:
    assert parse_rate(expression) == seconds


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 weeks)", "cron(0 * * * ? *)", "hourly"])
def test_other_schedule_expressions_are_refused(expression: str) -> None:
    with pytest.raises(TemplateError):
        parse_rate(expression)
