"""Section 2: API acceptance — one add-videos request of N links, against the bare sends it makes.

The request goes through the local gateway to an ApiFunction container: token check, validation,
normalisation, the job's messages to the FIFO queue and one ExtractRequest per link. The bare loop
sends the very same message bodies in the same SendMessageBatch calls to queues of the same kind
(created from the template's declarations on the same moto server), with nothing else around them.
Extractors are kept idle meanwhile: the links point to a port that accepts connections and never
answers, so the extractors' CPU does not weigh on either side.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3

from bench.common import REPO_ROOT, SectionResult, median, quiet_service_logs
from tests.support.stack import StackProcess, running_stack
from watcharr.adapters.queues import RESULTS_MESSAGE_GROUP, _batches
from watcharr.local.template import load_template
from watcharr.local.workers import create_queues
from watcharr.logic.ingest import LinkRequest, plan_job

TITLE = "2. API acceptance"
# The extractors wait on the silent port; they are stopped, not waited for, when the section ends.
STACK_ARGS = ("--api-workers", "2", "--shutdown-grace", "0.5", "--parameter", "ExtractionConcurrency=2")


@contextmanager
def silent_site() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a socket that completes connections and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _sqs(stack: StackProcess) -> tuple[Any, dict[str, str]]:
    """A boto3 client on the stack's moto server and the stack's queue URLs by logical id."""
    state = json.loads((stack.data_dir / "local.json").read_text())
    client = boto3.client(
        "sqs",
        endpoint_url=state["sqsEndpoint"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return client, state["queueUrls"]


def drain(sqs: Any, url: str) -> None:
    """Delete every message the queue holds now (PurgeQueue is allowed once a minute only)."""
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def _bare_queues(sqs: Any, suffix: str) -> dict[str, str]:
    """Copies of the template's queues (same attributes, dead-letter queues included) under new names."""
    spec = load_template(REPO_ROOT / "template.yaml")
    renamed = tuple(replace(queue, name=f"bench-{suffix}-{queue.name}") for queue in spec.queues)
    return {
        logical: queue.url for logical, queue in create_queues(sqs, replace(spec, queues=renamed)).items()
    }


def bare_send_loop(sqs: Any, links: list[str], queues: dict[str, str]) -> tuple[float, int, int]:
    """Send what the API would send for ``links`` with nothing but SendMessageBatch calls.

    Returns (seconds, messages, batches). The bodies and their grouping into batches come from the
    same planning code, computed before the clock starts.
    """
    plan = plan_job(1, [LinkRequest(link) for link in links], source="batch")
    results = [m.model_dump_json(exclude_none=True) for m in plan.messages]
    dedup = [m.dedup_id() for m in plan.messages]
    requests = [r.model_dump_json(exclude_none=True) for r in plan.requests]
    extract_url, results_url = queues["ExtractQueue"], queues["ResultsQueue"]
    calls: list[tuple[str, list[dict[str, str]]]] = []
    for batch in _batches(results):
        entries = [
            {
                "Id": str(i),
                "MessageBody": results[i],
                "MessageGroupId": RESULTS_MESSAGE_GROUP,
                "MessageDeduplicationId": dedup[i],
            }
            for i in batch
        ]
        calls.append((results_url, entries))
    calls.extend(
        (extract_url, [{"Id": str(i), "MessageBody": requests[i]} for i in batch])
        for batch in _batches(requests)
    )
    began = time.perf_counter()
    for url, entries in calls:
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(f"moto refused {len(answer['Failed'])} entries")
    return time.perf_counter() - began, len(results) + len(requests), len(calls)


def planning_seconds(links: list[str]) -> float:
    """What the API's own work costs in this process: planning the job and serialising its messages."""
    began = time.perf_counter()
    plan = plan_job(1, [LinkRequest(link) for link in links], source="batch")
    for message in [*plan.messages, *plan.requests]:
        message.model_dump_json(exclude_none=True)
    return time.perf_counter() - began


def api_request(stack: StackProcess, links: list[str]) -> float:
    """Seconds from sending one add-videos request to its 202."""
    body = [{"url": link} for link in links]
    began = time.perf_counter()
    status, answer = stack.request("POST", "/api/shortcuts/add-videos", body, timeout=60)
    seconds = time.perf_counter() - began
    if status != 202:
        raise RuntimeError(f"add-videos answered {status}: {answer}")
    return seconds


def run(urls: int, repeats: int) -> SectionResult:
    """``repeats`` requests of ``urls`` links, each followed by the bare loop; medians of both."""
    result = SectionResult(TITLE)
    api_times: list[float] = []
    bare_times: list[float] = []
    plan_times: list[float] = []
    messages = batches = 0
    with (
        quiet_service_logs(),
        silent_site() as site,
        tempfile.TemporaryDirectory() as tmp,
        running_stack(Path(tmp) / "data", args=STACK_ARGS) as stack,
    ):
        sqs, stack_queues = _sqs(stack)
        # One request first, untimed: the API container's first call loads what a cold start loads.
        api_request(stack, [f"{site}/warm-up"])
        for repeat in range(repeats):
            links = [f"{site}/video/accept-{repeat}-{index:04d}" for index in range(urls)]
            # Both sides start each repeat from empty queues: moto's cost per call grows with a queue.
            drain(sqs, stack_queues["ExtractQueue"])
            api_times.append(api_request(stack, links))
            queues = _bare_queues(sqs, str(repeat))
            seconds, messages, batches = bare_send_loop(sqs, links, queues)
            bare_times.append(seconds)
            for url in queues.values():
                sqs.delete_queue(QueueUrl=url)
            plan_times.append(planning_seconds(links))
    api, bare = median(api_times), median(bare_times)
    result.add("URLs per request", urls)
    result.add("messages / SendMessageBatch calls", f"{messages} / {batches}")
    result.add("time to the 202 (median)", api, "s")
    result.add("time per URL", api / urls * 1000, "ms")
    result.add("bare SendMessageBatch loop (median)", bare, "s")
    ratio = api / bare
    result.add("ratio API / bare loop", ratio, target="≤ 1.5", met=ratio <= 1.5)
    planning = median(plan_times)
    result.add("  planning + serialising the messages, in-process", planning, "s")
    if ratio > 1.5:
        result.explanations.append(
            f"API acceptance: {api:.2f} s to the 202 against {bare:.2f} s of bare sends ({ratio:.2f}×)."
            f" Of the {api - bare:.2f} s on top, planning the job and serialising its messages take"
            f" {planning:.2f} s; the rest is the HTTP hop through the gateway to the API container, the"
            " token check, validating the body and the answer listing every link."
        )
    result.notes.append(
        f"{repeats} requests; each side's runs: API {', '.join(f'{t:.2f}' for t in api_times)} s,"
        f" bare {', '.join(f'{t:.2f}' for t in bare_times)} s."
    )
    return result
