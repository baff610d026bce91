"""Section 8: moving in — a 2watcharr database imported end to end in local mode, against the
persister's raw insert rate measured in the same run.

The reference database (two users, every state, tags, links, events) is built the way the reference
app leaves it. The import runs as in local mode: ``import_reference_db`` publishes its chunks to the
FIFO queue of a moto server on 127.0.0.1 (created from template.yaml, with local mode's cheap clock),
and local mode's own poller (``Poller.poll_once``) hands them, BatchSize as the template says, to the
PersisterFunction handler, which writes a real SQLite file. The clock runs from the first read of the
file to the last message applied. The raw insert rate is the persister's rule for an add
(``apply_result`` of one EpisodeExtracted per episode, one transaction each) on a fresh file, with
no queue: what the writer does for episodes arriving one by one.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3

from bench.common import REPO_ROOT, SectionResult, quiet_service_logs
from bench.persister import episode_messages, setup_messages
from tests.support.lambda_env import reset_process_state
from tests.support.reference_db import build_reference_db
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.local.functions import load_function
from watcharr.local.moto_clock import cheap_clock_in_use, use_cheap_clock, use_moto_clock
from watcharr.local.pollers import Poller, PollerConfig
from watcharr.local.state import REGION
from watcharr.local.template import load_template
from watcharr.local.workers import create_queues
from watcharr.logic.importing import import_reference_db
from watcharr.logic.persist import apply_result

TITLE = "8. Moving in (2watcharr import)"
TARGET = 0.5


def raw_insert_rate(folder: Path, count: int) -> float:
    """Episodes per second when each arrives as its own EpisodeExtracted (the rule of an add)."""
    store = WriteStore(connect_writer(folder / "raw.db"))
    try:
        for message in setup_messages(count):
            apply_result(store, message)
        messages = episode_messages(count)
        began = time.perf_counter()
        for message in messages:
            apply_result(store, message)
        return count / (time.perf_counter() - began)
    finally:
        store.conn.close()


def _episodes(path: Path) -> int:
    store = WriteStore(connect_writer(path))
    try:
        return int(store.conn.execute("SELECT COUNT(*) AS n FROM episodes").fetchone()["n"])
    finally:
        store.conn.close()


def import_end_to_end(folder: Path, reference: Path) -> tuple[float, int, int]:
    """Seconds to import the file through moto's FIFO queue and the persister handler; messages, episodes."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stack = load_template(REPO_ROOT / "template.yaml")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    saved = {name: os.environ.get(name) for name in ("WATCHARR_DATABASE_PATH", "WATCHARR_RESULTS_QUEUE_URL")}
    try:
        host, port = server.get_host_and_port()
        # moto's state is per process: start from empty queues, not what an earlier section left.
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
        sqs = boto3.client(
            "sqs", endpoint_url=f"http://{host}:{port}", region_name=REGION,
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        queues = create_queues(sqs, stack)
        results = queues["ResultsQueue"]
        database = folder / "watcharr.db"
        os.environ["WATCHARR_DATABASE_PATH"] = str(database)
        os.environ["WATCHARR_RESULTS_QUEUE_URL"] = results.url
        reset_process_state()
        persister: Any = load_function("persister").handler
        source = next(s for s in stack.event_sources if s.function_logical_id == "PersisterFunction")
        config = PollerConfig(
            function_logical_id="PersisterFunction",
            queue_url=results.url, queue_arn=results.arn, batch_size=source.batch_size,
            report_batch_item_failures=True, retry_delay=1, timeout_seconds=60, fifo=True,
        )  # fmt: skip
        poller = Poller(sqs, persister, config)
        publisher = QueuePublisher(queues["ExtractQueue"].url, results.url, sqs)
        began = time.perf_counter()
        sent = import_reference_db(reference, publisher)
        applied = 0
        while applied < sent.messages:
            applied += poller.poll_once(wait_seconds=1)
        seconds = time.perf_counter() - began
        return seconds, sent.messages, _episodes(database)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_process_state()
        server.stop()


def run(episodes: int) -> SectionResult:
    """Import a reference database of ``episodes`` episodes; episodes/s and the ratio to raw inserts."""
    result = SectionResult(TITLE)
    cheap_before = cheap_clock_in_use()
    use_cheap_clock()
    try:
        with quiet_service_logs(), tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            reference = folder / "2watcharr.db"
            build_reference_db(reference, episodes_per_user=episodes // 2)
            seconds, messages, written = import_end_to_end(folder, reference)
            raw = raw_insert_rate(folder, min(episodes, 2000))
    finally:
        if not cheap_before:
            use_moto_clock()
    if written != episodes // 2 * 2:
        raise RuntimeError(f"the import wrote {written} episodes, not {episodes // 2 * 2}")
    rate = written / seconds
    ratio = rate / raw
    result.add("episodes imported", written)
    result.add("import messages (≤ 100 episodes each)", messages)
    result.add("import end to end", rate, "episodes/s")
    result.add("persister raw insert (one EpisodeExtracted each)", raw, "episodes/s")
    result.add("ratio import / raw insert", ratio, target=f"≥ {TARGET}", met=ratio >= TARGET)
    if ratio < TARGET:
        result.explanations.append(
            f"Moving in: the import ran at {rate:.0f} episodes/s against {raw:.0f} raw inserts/s over {messages}"
            f" messages: the queue round trips and the chunk's tag, link and event rows cost more than they save."
        )
    return result
