"""`watcharr import 2watcharr`, `watcharr export` and `watcharr podcasts import` against moto's SQS server,
through the local stack's state file, with the persister's rules applied to what reached the queue."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

# The fixtures of the `watcharr users` tests (moto's server, a local state file pointing at it, the CLI),
# imported so pytest finds them here; the tests' parameters name them, which ruff takes for redefinitions.
# ruff: noqa: F811
from tests.integration.test_cli import Moto, clean_env, data_dir, moto, persist, run  # noqa: F401
from tests.support.reference_db import build_reference_db


def test_import_2watcharr_then_export_from_the_command_line(
    run: Any, data_dir: Path, moto: Moto, tmp_path: Path
) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")

    # The first run sends; nothing has applied it yet, so the report is not complete
    first = run("import", "2watcharr", str(fixture.path), "--data-dir", str(data_dir), "--wait", "0")
    assert first.code == 1 and "not applied yet" in first.out
    assert len(persist(data_dir, moto)) > 2

    # Run again once applied: the full report, and the same messages again, which change nothing
    again = run(
        "import", "2watcharr", str(fixture.path), "--data-dir", str(data_dir), "--json", "--wait", "5"
    )
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert (
        report["users"]["ana"]["episodesImported"] == 50
        and report["users"]["ana"]["userOutcome"] == "created"
    )
    assert report["orphanEventsSkipped"] == 2
    persist(data_dir, moto)
    third = run(
        "import", "2watcharr", str(fixture.path), "--data-dir", str(data_dir), "--json", "--wait", "5"
    )
    assert json.loads(third.out)["users"] == report["users"]

    out = tmp_path / "ana.csv"
    exported = run("export", "--user", "ana", "--format", "csv", "-o", str(out), "--data-dir", str(data_dir))
    assert exported.code == 0, exported.err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["title"] for r in rows) == sorted(str(e["title"]) for e in fixture.episodes["ana"])


def test_a_file_that_is_not_a_2watcharr_database_is_refused(
    run: Any, data_dir: Path, moto: Moto, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    outcome = run("import", "2watcharr", str(junk), "--data-dir", str(data_dir))
    assert outcome.code == 1 and "nothing imported" in outcome.err and "not a SQLite database" in outcome.err
    assert moto.drain("ResultsQueue") == []


def test_podcasts_import_needs_a_known_user_and_sends_each_feed_once(
    run: Any, data_dir: Path, moto: Moto, tmp_path: Path
) -> None:
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.domain.tokens import hash_token, new_token
    from watcharr.models.messages import UserCreated

    QueuePublisher(moto.queue_urls["ExtractQueue"], moto.queue_urls["ResultsQueue"], moto.sqs).send_results(
        [UserCreated(username="local", token_hash=hash_token(new_token()))]
    )
    persist(data_dir, moto)
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="feeds">'
        '<outline type="rss" text="A" xmlUrl="https://feeds.example.org/a.xml"/>'
        '<outline type="rss" text="A again" xmlUrl="https://feeds.example.org/a.xml"/>'
        '<outline type="rss" text="B" xmlUrl="itpc://feeds.example.org/b.xml"/>'
        "</outline></body></opml>"
    )
    outcome = run("podcasts", "import", str(opml), "--data-dir", str(data_dir))
    assert outcome.code == 0, outcome.err
    assert "2 subscribed, 0 already followed, 1 repeated" in outcome.out
    sent = [json.loads(m["Body"]) for m in moto.drain("ResultsQueue")]
    assert sorted(m["feed_url"] for m in sent) == [
        "https://feeds.example.org/a.xml",
        "https://feeds.example.org/b.xml",
    ]
    assert len(moto.drain("ExtractQueue")) == 2
    nobody = run("podcasts", "import", str(opml), "--data-dir", str(data_dir), "--user", "nobody")
    assert nobody.code == 1 and "no user 'nobody'" in nobody.err
