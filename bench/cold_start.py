"""Section 5: cold start — import time of each handler module, heavy imports, the extractor's memory.

Import times come from ``python -X importtime`` in a fresh interpreter per run (the median of several
runs), importing ``app`` from the function's folder as Lambda does. The yardstick is the bare import
of powertools' HTTP resolver, which every API handler needs anyway. The extractor's peak RSS is read
from a fresh interpreter that loads the ExtractorFunction handler and syncs the 730-item feed with
every episode (see ``bench.extractor_rss``), its queues on a moto server in this process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from bench.common import BIG_FEED, REPO_ROOT, SectionResult, median
from tests.support.feed_server import FeedServer
from watcharr.local.template import load_template
from watcharr.local.workers import create_queues

TITLE = "5. Cold start"
FUNCTIONS = ("api", "query", "persister", "podcast_sync", "extractor")
# Handlers that never extract anything: loading yt-dlp there would be pure cold-start cost.
MUST_NOT_LOAD_YTDLP = ("api", "query", "persister")
RESOLVER = "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver"
HEAVY = ("yt_dlp", "feedparser", "boto3", "pydantic", "aws_xray_sdk")
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def import_profile(statement: str, cwd: Path) -> tuple[float, set[str]]:
    """Seconds the statement's own imports took in a fresh interpreter, and every module it loaded.

    Interpreter start-up imports (site, encodings…) are left out: only modules at the top level of the
    report whose name the statement could have asked for count, i.e. everything after start-up.
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    total_us = 0
    modules: set[str] = set()
    started = False
    for line in run.stderr.splitlines():
        found = _LINE.match(line)
        if found is None:
            continue
        cumulative, indent, name = int(found[2]), len(found[3]), found[4]
        modules.add(name)
        # "site" is the last top-level module of start-up; what follows it is the statement's.
        if indent == 1 and started:
            total_us += cumulative
        if indent == 1 and name == "site":
            started = True
    return total_us / 1e6, modules


def _loads(modules: set[str], package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in modules)


def template_memory_mb(logical_id: str) -> int:
    """The MemorySize template.yaml gives a function (the first one after its logical id)."""
    text = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    found = re.search(r"MemorySize: (\d+)", text[text.index(f"\n  {logical_id}:") :])
    if found is None:
        raise ValueError(f"no MemorySize for {logical_id}")
    return int(found[1])


def extractor_memory() -> dict[str, float]:
    """Peak RSS of a fresh extractor process loading its handler, then syncing the 730-item feed."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_SQS": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "WATCHARR_ALLOW_PRIVATE_NETWORK": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
        import boto3

        sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        queues = create_queues(sqs, load_template(REPO_ROOT / "template.yaml"))
        env["WATCHARR_EXTRACT_QUEUE_URL"] = queues["ExtractQueue"].url
        env["WATCHARR_RESULTS_QUEUE_URL"] = queues["ResultsQueue"].url
        with FeedServer() as feeds:
            url = feeds.put_feed("/bombcast.xml", BIG_FEED.read_bytes())
            run = subprocess.run(
                [sys.executable, "-m", "bench.extractor_rss", url],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=120,
            )
        figures: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
        attributes = sqs.get_queue_attributes(
            QueueUrl=queues["ResultsQueue"].url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        figures["results_sent"] = float(attributes["ApproximateNumberOfMessages"])
        return figures
    finally:
        moto.stop()


def run(runs: int) -> SectionResult:
    """Import each handler ``runs`` times (fresh interpreter each), then measure the extractor's memory."""
    result = SectionResult(TITLE)
    resolver = median([import_profile(RESOLVER, REPO_ROOT)[0] for _ in range(runs)])
    ytdlp = median([import_profile("import yt_dlp", REPO_ROOT)[0] for _ in range(runs)])
    result.add("powertools APIGatewayHttpResolver alone (median)", resolver * 1000, "ms")
    loaded_by: dict[str, set[str]] = {}
    for name in FUNCTIONS:
        profiles = [import_profile("import app", REPO_ROOT / "functions" / name) for _ in range(runs)]
        seconds = median([p[0] for p in profiles])
        loaded_by[name] = {package for package in HEAVY if _loads(profiles[0][1], package)}
        result.add(
            f"functions/{name}/app.py import (median)",
            seconds * 1000,
            "ms",
            note=f"{seconds / resolver:.1f}× the resolver; loads {', '.join(sorted(loaded_by[name])) or 'none of them'}",
        )
    offenders = [name for name in MUST_NOT_LOAD_YTDLP if "yt_dlp" in loaded_by[name]]
    result.add(
        "api/query/persister load yt_dlp at import",
        ", ".join(offenders) or "none",
        target="none",
        met=not offenders,
    )
    if offenders:
        result.explanations.append(
            f"Cold start: {', '.join(offenders)} import yt_dlp when the handler loads, though they never"
            f" extract; each pays about {ytdlp * 1000:.0f} ms more at every cold start."
        )
    result.add(
        "extractor loads yt_dlp at import",
        "yes" if "yt_dlp" in loaded_by["extractor"] else "no (on its first video)",
    )
    result.add("import yt_dlp alone (median), paid on first use", ytdlp * 1000, "ms")
    memory = extractor_memory()
    limit = template_memory_mb("ExtractorFunction")
    if memory["failures"]:
        raise RuntimeError("the extractor failed to sync the 730-item feed")
    result.add("extractor peak RSS while loading the handler", memory["loading_peak_mb"], "MB")
    result.add("extractor RSS once loaded", memory["loaded_mb"], "MB")
    result.add(
        "extractor peak RSS while syncing the 730-item feed (all episodes)",
        memory["peak_mb"],
        "MB",
        note=f"MemorySize {limit} MB in template.yaml",
    )
    result.add("  that invocation's wall time", memory["seconds"], "s")
    result.add("  result messages it sent", int(memory["results_sent"]))
    result.notes.append(
        "Import times: `python -X importtime`, cumulative time of the modules the statement imported"
        f" after interpreter start-up, median of {runs} fresh interpreters."
    )
    return result
