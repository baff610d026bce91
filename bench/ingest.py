"""Section 1: end-to-end ingest through the local stack, against the reference's chunks and the limit.

A local origin answers each ``/video/<id>`` page after a latency drawn once from a seeded uniform
distribution. The same links go (a) through the whole local stack — API, moto SQS, C extractor
workers running real yt-dlp, the FIFO queue, the persister — and (b) through the reference design:
the same extraction code (``extract_media``) in a thread pool, C links at a time, each chunk waiting
for its slowest link. The limit is Little's law: C slots busy all the time give C / mean latency.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.common import SectionResult, quiet_service_logs
from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack
from watcharr.adapters.ytdlp import extract_media
from watcharr.settings import Settings

TITLE = "1. End-to-end ingest"
SEED = 20240315
LATENCY_RANGE = (0.2, 0.5)
# Stack arguments: two API containers are enough for one request at a time and start faster.
STACK_ARGS = ("--api-workers", "2", "--retry-delay", "1")
POLL_SECONDS = 0.05
CLOCK_TICKS = 100


@dataclass(frozen=True)
class Workload:
    """The links of one run and the latency the origin gives each."""

    paths: list[str]
    latencies: dict[str, float]

    @property
    def mean_latency(self) -> float:
        """Mean of the latencies drawn for these links."""
        return sum(self.latencies.values()) / len(self.latencies)

    def latency(self, path: str) -> float:
        """The origin's delay for ``path``: the drawn latency for a video page, none for anything else."""
        return self.latencies.get(path, 0.0)


def draw_workload(
    count: int, seed: int = SEED, low: float = LATENCY_RANGE[0], high: float = LATENCY_RANGE[1]
) -> Workload:
    """``count`` video pages with latencies drawn uniformly from [low, high) by a seeded generator."""
    rng = random.Random(seed)
    paths = [f"/video/bench-{index:05d}" for index in range(count)]
    return Workload(paths, {path: rng.uniform(low, high) for path in paths})


@dataclass(frozen=True)
class StackRun:
    """One ingest through the local stack."""

    concurrency: int
    urls: int
    seconds: float
    accept_seconds: float
    terminal: int
    failed: int
    stack_cpu_seconds: float

    @property
    def urls_per_second(self) -> float:
        return self.urls / self.seconds


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group, read from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after its closing parenthesis are fixed.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _terminal_counts(database: Path, job_id: str) -> tuple[int, int]:
    """(terminal items, failed items) of the job, read straight from the SQLite file."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute(
            "SELECT sum(state IN ('added','restored','failed','expanded')), sum(state = 'failed')"
            " FROM job_items WHERE job_id = ?",
            (job_id,),
        ).fetchone()
    finally:
        conn.close()
    return int(row[0] or 0), int(row[1] or 0)


def ingest_through_stack(
    stack: StackProcess, origin: OriginServer, workload: Workload, timeout: float = 300.0
) -> tuple[float, float, int, int, float]:
    """Send every link in one add-videos request and wait until each item is terminal.

    Returns (seconds from the request to the last terminal item, seconds to the 202, terminal items,
    failed items, CPU seconds the stack's processes used meanwhile). Completion is read from the
    database file, not the API, so that watching does not load the stack being measured.
    """
    body = [{"url": origin.url(path)} for path in workload.paths]
    database = stack.data_dir / "watcharr.db"
    cpu_before = group_cpu_seconds(stack.process.pid)
    began = time.perf_counter()
    status, answer = stack.request("POST", "/api/shortcuts/add-videos", body, timeout=60)
    accepted = time.perf_counter() - began
    if status != 202:
        raise RuntimeError(f"add-videos answered {status}: {answer}")
    job_id = answer["jobId"]
    deadline = began + timeout
    terminal = failed = 0
    while terminal < len(body):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {terminal}/{len(body)} items finished in {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
        terminal, failed = _terminal_counts(database, job_id)
    seconds = time.perf_counter() - began
    return seconds, accepted, terminal, failed, group_cpu_seconds(stack.process.pid) - cpu_before


def run_stack(origin: OriginServer, workload: Workload, concurrency: int, work_dir: Path) -> StackRun:
    """A fresh local stack with ExtractionConcurrency=C, one ingest of the workload, then stop."""
    data_dir = work_dir / f"stack-c{concurrency}" / "data"
    data_dir.parent.mkdir(parents=True)
    args = (*STACK_ARGS, "--parameter", f"ExtractionConcurrency={concurrency}")
    with running_stack(data_dir, args=args) as stack:
        seconds, accepted, terminal, failed, cpu = ingest_through_stack(stack, origin, workload)
    return StackRun(concurrency, len(workload.paths), seconds, accepted, terminal, failed, cpu)


def run_chunked_baseline(origin: OriginServer, workload: Workload, chunk: int) -> tuple[float, int]:
    """The reference's way: ``chunk`` links at a time in a thread pool, each chunk waits for its slowest.

    Returns (seconds, links extracted).
    """
    settings = Settings(allow_private_network=True, socket_timeout=15)
    urls = [origin.url(path) for path in workload.paths]
    done = 0
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=chunk) as pool:
        for start in range(0, len(urls), chunk):
            # list() waits for every future of the chunk: the slowest link holds the next chunk back.
            done += len(list(pool.map(lambda url: extract_media(url, settings), urls[start : start + chunk])))
    return time.perf_counter() - began, done


def cpu_per_extraction(origin: OriginServer, count: int) -> float:
    """CPU seconds yt-dlp spends on one page (origin latency 0), measured sequentially in this process."""
    settings = Settings(allow_private_network=True, socket_timeout=15)
    extract_media(origin.url("/video/cpu-warm-up"), settings)
    began = time.process_time()
    for index in range(count):
        extract_media(origin.url(f"/video/cpu-{index}"), settings)
    return (time.process_time() - began) / count


def run(
    urls: int, concurrencies: list[int], headline: list[int], work_dir: Path | None = None
) -> SectionResult:
    """Measure the stack, the baseline and the limit at each concurrency; targets at ``headline`` Cs."""
    result = SectionResult(TITLE)
    workload = draw_workload(urls)
    with (
        quiet_service_logs(),
        OriginServer(latency=workload.latency) as origin,
        tempfile.TemporaryDirectory(dir=work_dir) as tmp,
    ):
        cpu = cpu_per_extraction(origin, max(5, min(30, urls // 5)))
        runs: dict[int, StackRun] = {}
        baselines: dict[int, float] = {}
        for concurrency in concurrencies:
            runs[concurrency] = run_stack(origin, workload, concurrency, Path(tmp))
            seconds, _ = run_chunked_baseline(origin, workload, concurrency)
            baselines[concurrency] = len(workload.paths) / seconds
    mean = workload.mean_latency
    result.add("URLs per run", urls)
    result.add("mean origin latency (drawn)", mean * 1000, "ms")
    result.add("yt-dlp CPU per extraction", cpu * 1000, "ms")
    for concurrency in concurrencies:
        stack_run = runs[concurrency]
        limit = concurrency / mean
        rate = stack_run.urls_per_second
        key = concurrency in headline
        result.series.setdefault("this project", []).append((concurrency, rate))
        result.series.setdefault("chunks of C (reference)", []).append((concurrency, baselines[concurrency]))
        result.series.setdefault("limit C / mean latency", []).append((concurrency, limit))
        result.add(f"C={concurrency}: throughput", rate, "URLs/s")
        result.add(f"C={concurrency}: limit C/mean latency", limit, "URLs/s")
        result.add(
            f"C={concurrency}: ratio to the limit",
            rate / limit,
            target="≥ 0.85" if key else "",
            met=(rate / limit >= 0.85) if key else None,
        )
        result.add(f"C={concurrency}: baseline (chunks of {concurrency})", baselines[concurrency], "URLs/s")
        ratio = rate / baselines[concurrency]
        result.add(
            f"C={concurrency}: ratio to the baseline",
            ratio,
            target="≥ 1.2" if concurrency == 5 else "",
            met=(ratio >= 1.2) if concurrency == 5 else None,
        )
        result.add(f"C={concurrency}: stack CPU per URL", stack_run.stack_cpu_seconds / urls * 1000, "ms")
        result.add(
            f"C={concurrency}: CPU use of 2 cores",
            stack_run.stack_cpu_seconds / stack_run.seconds / 2,
        )
        result.add(f"C={concurrency}: failed items", stack_run.failed)
    return result
