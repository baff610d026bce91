"""Faults the pipeline survives with nothing lost: poison messages, stale items, leaked secrets."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.lambda_env import LambdaWorld, create_user, sqs_event
from tests.support.origin import OriginServer
from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import QueuePublisher
from watcharr.local.context import LocalContext
from watcharr.logic.schedule import plan_reconcile, send
from watcharr.observability import logger
from watcharr.settings import get_settings

VIDEO = "https://youtu.be/dQw4w9WgXcQ"


def publisher(world: LambdaWorld) -> QueuePublisher:
    return QueuePublisher(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)


def rows(world: LambdaWorld, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def send_raw(world: LambdaWorld, body: str, dedup_id: str) -> None:
    world.sqs.send_message(
        QueueUrl=world.queue_urls["ResultsQueue"],
        MessageBody=body,
        MessageGroupId="watcharr",
        MessageDeduplicationId=dedup_id,
    )


def dead_letters(world: LambdaWorld) -> list[tuple[object, ...]]:
    return rows(world, "SELECT message_id, body, reason, type FROM dead_letters ORDER BY received_at")


def short_busy_timeout(world: LambdaWorld, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The persister's module, its connection reopened with a 50 ms busy timeout."""
    monkeypatch.setattr("watcharr.adapters.store.connection.BUSY_TIMEOUT_MS", 50)
    persister = world.function("persister")
    persister.write_store.cache_clear()
    return persister


def send_subscription(world: LambdaWorld, subscription_id: str, feed_url: str) -> None:
    body = {"v": 1, "type": "SubscriptionAdded", "subscription_id": subscription_id, "user_id": 1}
    send_raw(world, json.dumps({**body, "feed_url": feed_url}), subscription_id)


def hold_the_database(world: LambdaWorld, monkeypatch: pytest.MonkeyPatch) -> sqlite3.Connection:
    """Another writer holding the database, with a lock the persister's busy timeout does not outwait."""
    short_busy_timeout(world, monkeypatch).write_store()
    holder = sqlite3.connect(world.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


@pytest.mark.parametrize(
    ("body", "reason", "type_"),
    [
        ("{not json", "the message is not valid JSON", None),
        ('{"v": 1, "type": "NoSuchMessage"}', "the message names no known type", "NoSuchMessage"),
        (
            '{"v": 1, "type": "UserCreated", "username": "mallory", "token_hash": "not-a-sha256"}',
            "the UserCreated message has invalid fields: token_hash",
            "UserCreated",
        ),
        (
            '{"v": 1, "type": "TokenRotated", "username": "alice", "token_hash": "' + "A" * 64 + '"}',
            "the TokenRotated message has invalid fields: token_hash",
            "TokenRotated",
        ),
    ],
)
def test_a_poison_message_is_kept_in_the_database_and_the_group_moves_on_in_order(
    lambda_world: LambdaWorld, body: str, reason: str, type_: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a message no persister can ever apply, with two jobs queued behind it in the one group
    token = create_user(lambda_world, "alice")
    send_raw(lambda_world, body, "poison")
    jobs = []
    for path in ("/first", "/second"):
        status, accepted = lambda_world.call_api(
            "POST", "/api/shortcuts/add-episode", body={"url": f"https://example.com{path}"}, token=token
        )
        assert status == 202
        jobs.append(accepted["jobId"])

    # When the persister receives it once
    started = time.monotonic()
    assert lambda_world.deliver("ResultsQueue", "persister", 1, "PersisterFunction") == 1
    blocked = time.monotonic() - started

    # Then it left the queue in that one receive (only the two jobs are still queued)
    assert lambda_world.queue_depth("ResultsQueue") == 2
    assert blocked < 1.0
    # and its body and the reason are in the database, not in the results DLQ
    ((message_id, kept_body, kept_reason, kept_type),) = dead_letters(lambda_world)
    assert message_id and kept_body == body and kept_type == type_
    assert str(kept_reason).startswith(reason)
    assert lambda_world.queue_depth("ResultsDLQ") == 0
    # and it was counted in the metric the PoisonMessageAlarm watches (EMF on stdout)
    metric_lines = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any('"PoisonMessages"' in line for line in metric_lines)
    # and the jobs behind it are applied, in the order they were sent
    assert lambda_world.run_persister() == 2
    assert rows(lambda_world, "SELECT id FROM jobs ORDER BY rowid") == [(job,) for job in jobs]
    assert lambda_world.queue_depth("ResultsQueue") == 0
    # and no user was created or changed by it
    assert rows(lambda_world, "SELECT username FROM users") == [("alice",)]


def test_a_rule_that_fails_for_good_keeps_its_message_as_a_dead_letter(lambda_world: LambdaWorld) -> None:
    # Given a job of a user that does not exist: its insert breaks the jobs' foreign key
    create_user(lambda_world, "alice")
    item = {"item_id": "j1-0000", "url": "https://example.com/a", "kind": "video"}
    body = json.dumps(
        {"v": 1, "type": "JobCreated", "job_id": "j1", "user_id": 999, "source": "cli", "items": [item]}
    )
    send_raw(lambda_world, body, "twice")

    # When the persister applies it
    lambda_world.run_persister()

    # Then it is refused at once (an IntegrityError recurs on every delivery) and nothing of it stays
    ((_, kept_body, reason, type_),) = dead_letters(lambda_world)
    assert (kept_body, type_) == (body, "JobCreated")
    assert "cannot be applied: IntegrityError" in str(reason)
    assert rows(lambda_world, "SELECT COUNT(*) FROM jobs") == [(0,)]
    assert lambda_world.queue_depth("ResultsQueue") == 0


def test_a_redelivered_poison_message_is_kept_once(
    lambda_world: LambdaWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a poison message the persister kept, but whose delete never reached SQS (the container died)
    send_raw(lambda_world, "{not json", "poison")
    (message,) = lambda_world.receive("ResultsQueue", 1)
    arn = lambda_world.sqs.get_queue_attributes(
        QueueUrl=lambda_world.queue_urls["ResultsQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    persister = lambda_world.function("persister")
    assert persister.handler(sqs_event([message], arn), LocalContext("PersisterFunction")) == {
        "batchItemFailures": []
    }

    # When SQS delivers the same message (same message id) again
    answer = persister.handler(sqs_event([message], arn), LocalContext("PersisterFunction"))

    # Then it is handled again, and the database still holds one row for it, counted once
    assert answer == {"batchItemFailures": []}
    assert [row[0] for row in dead_letters(lambda_world)] == [message["MessageId"]]
    counted = [line for line in capsys.readouterr().out.splitlines() if '"PoisonMessages"' in line]
    assert len(counted) == 1


def test_a_commit_held_up_by_a_reader_is_retried_and_the_persister_goes_on(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reader that keeps its shared lock longer than the persister's busy timeout, so the
    # persister's transaction runs but its COMMIT cannot take the exclusive lock
    create_user(lambda_world, "alice")
    persister = short_busy_timeout(lambda_world, monkeypatch)
    reader = sqlite3.connect(f"file:{lambda_world.database}?mode=ro", uri=True, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM users").fetchone()
    for name in ("s1", "s2"):
        send_subscription(lambda_world, name, f"https://example.com/{name}")
    try:
        # When the persister gets the first message
        lambda_world.deliver("ResultsQueue", "persister", 1, "PersisterFunction")
        # Then the record failed and stays queued, and its transaction was undone
        assert lambda_world.queue_depth("ResultsQueue") == 2
        assert not persister.write_store().conn.in_transaction
    finally:
        reader.execute("COMMIT")
        reader.close()
    # And once the reader is done, the same container applies it and the one behind it, in order
    lambda_world.run_persister()
    assert rows(lambda_world, "SELECT id FROM subscriptions ORDER BY id") == [("s1",), ("s2",)]
    assert dead_letters(lambda_world) == []


def test_a_locked_database_is_retried_not_dead_lettered(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given another writer holding the database
    create_user(lambda_world, "alice")
    send_subscription(lambda_world, "s1", "https://example.com/feed")
    holder = hold_the_database(lambda_world, monkeypatch)
    try:
        # When the persister gets the message
        lambda_world.deliver("ResultsQueue", "persister", 1, "PersisterFunction")
        # Then it stays queued (transient), and nothing was refused
        assert lambda_world.queue_depth("ResultsQueue") == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert dead_letters(lambda_world) == []
    # And once the lock is gone it is applied
    lambda_world.run_persister()
    assert rows(lambda_world, "SELECT id FROM subscriptions") == [("s1",)]


def test_a_poison_message_whose_record_cannot_be_written_is_retried_not_lost(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a poison message, and another writer holding the database when it arrives
    create_user(lambda_world, "alice")
    send_raw(lambda_world, '{"v": 1, "type": "NoSuchMessage"}', "poison")
    holder = hold_the_database(lambda_world, monkeypatch)
    try:
        # When the persister gets it, it cannot keep it: the message stays queued
        lambda_world.deliver("ResultsQueue", "persister", 1, "PersisterFunction")
        assert lambda_world.queue_depth("ResultsQueue") == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert dead_letters(lambda_world) == []
    # Then the next delivery keeps it and it leaves the queue
    assert lambda_world.run_persister() == 1
    assert [row[3] for row in dead_letters(lambda_world)] == ["NoSuchMessage"]
    assert lambda_world.queue_depth("ResultsQueue") == 0


def test_reconciler_requeues_stale_items_then_gives_up(lambda_world: LambdaWorld) -> None:
    # Given an accepted job whose extract request vanished (a lost message)
    token = create_user(lambda_world, "alice")
    _, body = lambda_world.call_api("POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=token)
    lambda_world.run_persister()
    assert lambda_world.drop_all("ExtractQueue") == 1
    query = query_client_for(get_settings())
    later = datetime.now(UTC) + timedelta(hours=1)

    # When the reconciler runs, the item is queued again, once per run, up to the limit
    for run in range(1, 4):
        work = plan_reconcile(query, now=later + timedelta(hours=run))
        assert [r.item_id for r in work.requests] == [f"{body['jobId']}-0000"]
        send(publisher(lambda_world), work)
        lambda_world.run_persister()
        assert lambda_world.drop_all("ExtractQueue") == 1

    # Then after its tries run out the item fails with a reason instead of staying queued forever
    final = plan_reconcile(query, now=later + timedelta(hours=5))
    assert final.requests == []
    send(publisher(lambda_world), final)
    lambda_world.run_persister()
    state, reason = rows(lambda_world, "SELECT state, reason FROM job_items")[0]
    assert state == "failed" and "giving up" in str(reason)


def test_a_stale_first_sync_item_is_left_to_the_feed_sync_then_given_up(lambda_world: LambdaWorld) -> None:
    # Given a subscription whose first sync request vanished
    token = create_user(lambda_world, "alice")
    feed = "http://127.0.0.1:9/feed.xml"
    _, body = lambda_world.call_api("POST", "/api/podcasts", body={"feedUrl": feed}, token=token)
    lambda_world.run_persister()
    assert lambda_world.drop_all("ExtractQueue") == 1
    query = query_client_for(get_settings())
    later = datetime.now(UTC) + timedelta(hours=1)
    # When the reconciler runs, it sends no feed request of its own (the feed sync of the same run
    # fetches the feed with what it needs) but counts the try
    for run in range(1, 4):
        work = plan_reconcile(query, now=later + timedelta(hours=run))
        assert work.requests == [] and [m.type for m in work.results] == ["ItemRequeued"]
        send(publisher(lambda_world), work)
        lambda_world.run_persister()
    # Then, no FeedChecked having come, the item fails with a reason instead of staying queued
    send(publisher(lambda_world), plan_reconcile(query, now=later + timedelta(hours=5)))
    lambda_world.run_persister()
    _, job = lambda_world.call_api("GET", f"/api/jobs/{body['jobId']}", token=token)
    assert job["items"][0]["state"] == "failed" and "giving up" in job["items"][0]["reason"]


def test_fresh_items_are_left_alone(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    lambda_world.call_api("POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=token)
    lambda_world.run_persister()
    assert plan_reconcile(query_client_for(get_settings())).requests == []


def test_tokens_never_reach_the_logs(lambda_world: LambdaWorld) -> None:
    # The service's own JSON log lines, exactly as CloudWatch would receive them.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(handler)
    logger.setLevel("DEBUG")
    token = create_user(lambda_world, "alice")
    for path, body in [
        ("/api/shortcuts/add-episode", {"url": VIDEO}),
        ("/api/shortcuts/add-videos", [{"url": VIDEO}, {"url": "nope"}]),
    ]:
        lambda_world.call_api("POST", path, body=body, token=token)
    lambda_world.call_api("POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token="f" * 64)
    lambda_world.run_persister()
    logging.getLogger(logger.name).removeHandler(handler)
    logger.setLevel("INFO")
    logged = stream.getvalue()
    assert "message persisted" in logged  # the logs were captured at all
    assert token not in logged and token.upper() not in logged
    assert "f" * 64 not in logged
    assert json.dumps(token) not in logged


def test_on_aws_a_link_to_a_private_address_fails_without_being_fetched(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the AWS setting (the template sets it false) and pages on 127.0.0.1 and a redirect to one
    with OriginServer() as origin:
        token = create_user(lambda_world, "alice")
        monkeypatch.setenv("WATCHARR_ALLOW_PRIVATE_NETWORK", "false")
        get_settings.cache_clear()
        links = [{"url": origin.url("/video/secret")}, {"url": origin.url("/redirect?to=/video/secret")}]
        links.append({"url": "http://169.254.169.254/latest/meta-data/"})

        # When they are added
        _, accepted = lambda_world.call_api("POST", "/api/shortcuts/add-videos", body=links, token=token)
        lambda_world.run_pipeline()

        # Then the metadata address is refused at once, the others fail with the reason, and nothing
        # was ever sent to those addresses
        assert [r["status"] for r in accepted["results"]] == ["QUEUED", "QUEUED", "NOK"]
        assert "reserved network address" in accepted["results"][2]["reason"]
        _, job = lambda_world.call_api("GET", f"/api/jobs/{accepted['jobId']}", token=token)
        assert [item["state"] for item in job["items"]] == ["failed", "failed"]
        assert all("loopback" in item["reason"] for item in job["items"])
        assert origin.hits("/video/secret") == 0 and origin.hits("/redirect") == 0


def test_an_extractor_that_dies_mid_item_is_retried_and_the_item_still_lands(
    lambda_world: LambdaWorld,
) -> None:
    with OriginServer() as origin:
        token = create_user(lambda_world, "alice")
        _, accepted = lambda_world.call_api(
            "POST",
            "/api/shortcuts/add-episode",
            body={"url": origin.url("/video/v1?title=Survivor")},
            token=token,
        )
        lambda_world.run_persister()
        # The extractor receives the request and dies (crash or Lambda timeout): no result, no delete.
        (message,) = lambda_world.receive("ExtractQueue")
        # Its visibility timeout passes and SQS hands the request out again.
        lambda_world.sqs.change_message_visibility(
            QueueUrl=lambda_world.queue_urls["ExtractQueue"],
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
        lambda_world.run_pipeline()
        _, job = lambda_world.call_api("GET", f"/api/jobs/{accepted['jobId']}", token=token)
        assert [(i["state"], i["title"]) for i in job["items"]] == [("added", "Survivor")]
