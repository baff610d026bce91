"""Where the local stack's CPU goes, link by link: a py-spy profile over every process of the stack.

    .venv/bin/python -m bench.profile [--links 200] [--concurrency 5] [--runs 2] [--write]

Each run starts a fresh local stack on the same origin and workload as section 1 (bench/ingest.py),
sends an untimed warm-up job, then attaches py-spy (``record --subprocesses``) to the runner while a
job of ``--links`` links goes through. py-spy is a sampling profiler outside the processes: it needs
no switch in the stack's code, it sees every thread (moto's request threads and the gateway's live in
the runner) and every worker the forkserver starts, and it costs the stack nothing but a read of its
memory now and then — cProfile would have to be switched on inside each process, sees one thread,
and roughly doubles the CPU of the Python code it measures. Attaching needs ptrace rights (root here).

Each sample is one thread found running (py-spy leaves idle threads out); it is charged to one part
of the path (API, SQS client, moto server, extractor outside yt-dlp, yt-dlp, persister, pollers' own
loop, gateway) by the process it came from and the frames on its stack. Samples × interval give the
CPU each part used; the CPU every process used in the same window, read from /proc (utime + stime),
is the cross-check, and each process's /proc CPU split in its sampled proportions is the figure per
part. A second pass with moto's request recorder on counts the SQS calls per link, by action and queue.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import ingest
from bench.common import machine, quiet_service_logs
from bench.report import PROFILE_HEADING, sections
from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack

LINKS = 200
CONCURRENCY = 5
RUNS = 2
# Samples per second per thread; py-spy's default.
SAMPLE_RATE = 100
# How long py-spy gets to find every process of the group before the measured window opens.
ATTACH_SECONDS = 2.0
COUNT_LINKS = 50
SECTION_TITLE = f"{PROFILE_HEADING}: CPU per link by part"
RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"

# The parts of one link's path, in the order the report lists them.
API = "API (handler, pydantic, auth)"
SQS_CLIENT = "SQS client (boto3/botocore + HTTP, in our processes)"
MOTO = "moto server (SQS)"
GATEWAY = "gateway (HTTP → event, in the runner)"
EXTRACTOR = "extractor outside yt-dlp"
YTDLP = "yt-dlp"
PERSISTER = "persister (handler, SQLite)"
POLLER = "pollers' own loop (threads in the runner)"
RUNNER_OTHER = "runner, other threads"
WORKER_OTHER = "workers, outside any handler"
PARTS = [API, SQS_CLIENT, MOTO, GATEWAY, EXTRACTOR, YTDLP, PERSISTER, POLLER, RUNNER_OTHER, WORKER_OTHER]

# Process roles, by what their stacks show.
ROLE_RUNNER = "runner (moto, gateway, pollers)"
ROLE_API = "API containers"
ROLE_EXTRACTOR = "extractor containers"
ROLE_PERSISTER = "persister container"
# A worker that py-spy never found running has no stack to tell its role by.
ROLE_OTHER = "forkserver, idle workers"
ROLES = [ROLE_RUNNER, ROLE_API, ROLE_EXTRACTOR, ROLE_PERSISTER, ROLE_OTHER]

_PROCESS_FRAME = re.compile(r'process (\d+):"(.*?)"(?:;|$)')
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Frame:
    """One Python frame of a sampled stack: its function and its file as py-spy shortens it."""

    function: str
    file: str


@dataclass(frozen=True)
class Sample:
    """Samples of one distinct stack: the process they came from, its thread's name, root-first frames."""

    pid: int
    thread: str
    frames: tuple[Frame, ...]
    count: int


def parse_raw(lines: Iterable[str]) -> Iterator[Sample]:
    """py-spy's ``--format raw`` lines (``--subprocesses --threads``) as samples."""
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        pid = 0
        while match := _PROCESS_FRAME.match(stack):
            pid = int(match[1])
            stack = stack[match.end() :]
        thread = ""
        frames: list[Frame] = []
        for text in stack.split(";") if stack else []:
            if text.startswith("thread ("):
                thread = text.partition(": ")[2]
                continue
            found = _FRAME.match(text)
            frames.append(Frame(found["function"], found["file"]) if found else Frame(text, ""))
        yield Sample(pid, thread, tuple(frames), int(count))


def _has(frames: Iterable[Frame], *needles: str) -> bool:
    return any(needle in frame.file for frame in frames for needle in needles)


_CLIENT_LIBRARIES = ("botocore/", "boto3/", "urllib3/", "http/client.py")
_MOTO_LIBRARIES = ("moto/", "werkzeug/", "flask/", "werkzeug_app.py", "local/moto_http.py")


def role_of(frames_seen: set[Frame], pid: int, runner_pid: int) -> str:
    """The role of a process, from every frame sampled in it."""
    if pid == runner_pid:
        return ROLE_RUNNER
    # Every function's container runs run_container: what it ran tells which function it is.
    if _has(frames_seen, "logic/extract.py", "adapters/ytdlp.py"):
        return ROLE_EXTRACTOR
    if _has(frames_seen, "logic/persist.py", "logic/poison.py", "adapters/store/"):
        return ROLE_PERSISTER
    if any(frame.function == "run_container" for frame in frames_seen):
        return ROLE_API
    return ROLE_OTHER


def _in_handler(frames: Iterable[Frame]) -> bool:
    # py-spy names functions/<name>/app.py plain "app.py" (functions/ is not on sys.path).
    return any(frame.file == "app.py" for frame in frames)


def part_of(sample: Sample, role: str) -> str:
    """The part of the path one sampled stack belongs to."""
    frames = sample.frames
    if role == ROLE_RUNNER:
        if _has(frames, *_MOTO_LIBRARIES):
            return MOTO
        if _has(frames, "local/gateway.py") or sample.thread == "gateway":
            return GATEWAY
        if _has(frames, "local/pollers.py"):
            return POLLER
        return RUNNER_OTHER
    if role == ROLE_OTHER:
        return WORKER_OTHER
    # yt-dlp fetches pages with http.client too; it never calls botocore.
    if role == ROLE_EXTRACTOR and _has(frames, "yt_dlp/"):
        return YTDLP
    if _has(frames, *_CLIENT_LIBRARIES):
        return SQS_CLIENT
    if role == ROLE_API:
        return API if _in_handler(frames) else WORKER_OTHER
    if role == ROLE_EXTRACTOR:
        return EXTRACTOR if _in_handler(frames) else WORKER_OTHER
    return PERSISTER if _in_handler(frames) else WORKER_OTHER


def detail_of(sample: Sample, part: str) -> str:
    """A finer label inside a part: what the innermost frame of a known library or module was doing."""
    frames = sample.frames
    if part == SQS_CLIENT:
        for frame in reversed(frames):
            name = frame.file
            if "urllib3/" in name or "http/client.py" in name:
                return "HTTP (urllib3, http.client, sockets)"
            if name.startswith("botocore/") or "/botocore/" in name:
                module = name.rpartition("botocore/")[2]
                return {
                    "serialize.py": "serialise request",
                    "validate.py": "validate parameters",
                    "parsers.py": "parse response",
                    "auth.py": "sign (SigV4)",
                    "signers.py": "sign (SigV4)",
                    "hooks.py": "event hooks",
                    "handlers.py": "event handlers",
                    "endpoint.py": "endpoint/send",
                    "regions.py": "endpoint resolution",
                    "endpoint_provider.py": "endpoint resolution",
                    "retries/standard.py": "retry handler",
                }.get(module, f"botocore {module}")
        return "boto3/other"
    if part == YTDLP:
        if any(frame.function.endswith("suitable") for frame in frames) and not any(
            "extractors" in frame.function or frame.function.endswith("_real_extract") for frame in frames
        ):
            return "choosing the extractor (suitable() over every extractor)"
        if _has(frames, "yt_dlp/networking/", "urllib/request.py", "http/client.py"):
            return "fetching the page (yt-dlp networking)"
        if _has(frames, "yt_dlp/extractor/"):
            return "the extractor's own parsing"
        if any(frame.function.endswith(("process_ie_result", "process_video_result")) for frame in frames):
            return "processing the info (formats, fields)"
        return "other yt-dlp"
    if part == MOTO:
        for frame in reversed(frames):
            if "moto/sqs/models.py" in frame.file:
                return f"sqs models: {frame.function}"
            if "moto/sqs/responses.py" in frame.file:
                return f"sqs responses: {frame.function}"
        for frame in reversed(frames):
            for library in ("moto/core/", "werkzeug/", "flask/", "moto/"):
                if library in frame.file:
                    return library.rstrip("/")
        return "other"
    for frame in reversed(frames):
        for library in ("pydantic", "aws_lambda_powertools/", "logging/", "json/", "sqlite3/", "watcharr/"):
            if library in frame.file:
                if library == "watcharr/":
                    return frame.file.rpartition("watcharr/")[2]
                return library.rstrip("/")
    return frames[-1].file if frames else "?"


# ---- /proc -------------------------------------------------------------------------------------


def group_cpu(pgid: int) -> dict[int, float]:
    """CPU seconds (utime + stime) of every live process in a process group, by pid."""
    seconds: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            seconds[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ingest.CLOCK_TICKS
    return seconds


def own_cpu(pid: int) -> float:
    """CPU seconds of one process (py-spy itself)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / ingest.CLOCK_TICKS


# ---- one run -----------------------------------------------------------------------------------


@dataclass
class Profile:
    """One profiled run: samples by part and detail, /proc CPU by process, what py-spy itself cost."""

    links: int
    concurrency: int
    seconds: float
    rate: int
    samples: list[Sample]
    roles: dict[int, str]
    proc_cpu: dict[int, float]
    spy_cpu: float
    failed: int
    parts: Counter[str] = field(default_factory=Counter)
    details: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    role_samples: Counter[str] = field(default_factory=Counter)
    pid_samples: Counter[int] = field(default_factory=Counter)
    client_by_role: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for sample in self.samples:
            role = self.roles.get(sample.pid, ROLE_OTHER)
            part = part_of(sample, role)
            self.parts[part] += sample.count
            self.details[part][detail_of(sample, part)] += sample.count
            self.role_samples[role] += sample.count
            self.pid_samples[sample.pid] += sample.count
            if part == SQS_CLIENT:
                self.client_by_role[role] += sample.count

    def sampled_ms(self, samples: float) -> float:
        """Samples as CPU milliseconds per link."""
        return samples / self.rate / self.links * 1000

    def role_proc_ms(self) -> dict[str, float]:
        """/proc CPU per link of each role, in ms."""
        totals: Counter[str] = Counter()
        for pid, seconds in self.proc_cpu.items():
            totals[self.roles.get(pid, ROLE_OTHER)] += seconds
        return {role: totals[role] / self.links * 1000 for role in ROLES}

    def part_proc_ms(self) -> dict[str, float]:
        """Each process's /proc CPU split across parts in its sampled proportions, per link, in ms.

        A process with CPU but no samples (py-spy saw it idle every time) keeps its CPU under its role's
        catch-all part, so the parts add up to the /proc total.
        """
        by_pid_part: dict[int, Counter[str]] = defaultdict(Counter)
        for sample in self.samples:
            role = self.roles.get(sample.pid, ROLE_OTHER)
            by_pid_part[sample.pid][part_of(sample, role)] += sample.count
        result: Counter[str] = Counter()
        for pid, seconds in self.proc_cpu.items():
            parts = by_pid_part.get(pid)
            if not parts:
                role = self.roles.get(pid, ROLE_OTHER)
                result[RUNNER_OTHER if role == ROLE_RUNNER else WORKER_OTHER] += seconds
                continue
            total = sum(parts.values())
            for part, count in parts.items():
                result[part] += seconds * count / total
        return {part: result[part] / self.links * 1000 for part in PARTS}

    @property
    def proc_total_ms(self) -> float:
        return sum(self.proc_cpu.values()) / self.links * 1000

    @property
    def sampled_total_ms(self) -> float:
        return self.sampled_ms(sum(self.parts.values()))


def _roles(samples: list[Sample], runner_pid: int) -> dict[int, str]:
    frames: dict[int, set[Frame]] = defaultdict(set)
    for sample in samples:
        frames[sample.pid].update(sample.frames)
    return {pid: role_of(seen, pid, runner_pid) for pid, seen in frames.items()}


@contextmanager
def py_spy(pid: int, out: Path, rate: int, nonblocking: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """py-spy recording the process and its descendants until the block ends (SIGINT makes it write)."""
    command = [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--threads",
        # Only the thread that holds the GIL: a thread blocked in select, recv, a lock or fsync has let
        # it go, and py-spy's own idle test takes such threads for busy ones in this stack.
        "--gil",
        *(["--nonblocking"] if nonblocking else []),
        "--format",
        "raw",
        "--rate",
        str(rate),
        "--output",
        str(out),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield spy
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            _, errors = spy.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            raise
        if spy.returncode not in (0, -signal.SIGINT) and not out.exists():
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {errors.decode(errors='replace')}")


def _start(
    origin: OriginServer, workload: ingest.Workload, concurrency: int, work: Path, **kwargs: object
) -> tuple[Iterator[StackProcess], list[str]]:
    data_dir = work / "data"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    args = (*ingest.STACK_ARGS, "--parameter", f"ExtractionConcurrency={concurrency}")
    warm_up = [origin.url(f"/video/warm-up-{i:03d}") for i in range(ingest.WARM_UP_PER_WORKER * concurrency)]
    return running_stack(data_dir, args=args, **kwargs), warm_up  # type: ignore[arg-type]


def profile_run(
    origin: OriginServer, workload: ingest.Workload, concurrency: int, rate: int, work: Path
) -> Profile:
    """A fresh stack, a warm-up job, then the timed job with py-spy attached and /proc read around it."""
    stack_context, warm_up = _start(origin, workload, concurrency, work)
    raw = work / "py-spy.txt"
    with stack_context as stack:
        ingest.ingest_through_stack(stack, warm_up)
        pgid = stack.process.pid
        with py_spy(pgid, raw, rate) as spy:
            time.sleep(ATTACH_SECONDS)
            before = group_cpu(pgid)
            spy_before = own_cpu(spy.pid)
            seconds, _accepted, failed, _cpu = ingest.ingest_through_stack(
                stack, [origin.url(p) for p in workload.paths]
            )
            after = group_cpu(pgid)
            spy_cpu = own_cpu(spy.pid) - spy_before
    # The window holds ATTACH_SECONDS of idle stack before it; only the timed job's CPU is compared.
    samples = list(parse_raw(raw.read_text(encoding="utf-8").splitlines()))
    proc = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    return Profile(
        links=len(workload.paths),
        concurrency=concurrency,
        seconds=seconds,
        rate=rate,
        samples=samples,
        roles=_roles(samples, pgid),
        proc_cpu=proc,
        spy_cpu=spy_cpu,
        failed=failed,
    )


# ---- counting SQS calls ------------------------------------------------------------------------


def count_calls(
    origin: OriginServer, workload: ingest.Workload, concurrency: int, work: Path
) -> tuple[Counter[tuple[str, str]], int, float]:
    """SQS calls of one job, by (action, queue), from moto's request recorder; also links and seconds."""
    recording = work / "moto-recording.jsonl"
    env = {"MOTO_ENABLE_RECORDING": "1", "MOTO_RECORDER_FILEPATH": str(recording)}
    stack_context, warm_up = _start(origin, workload, concurrency, work, env=env)
    links = [origin.url(p) for p in workload.paths[:COUNT_LINKS]]
    with stack_context as stack:
        ingest.ingest_through_stack(stack, warm_up)
        skip = len(recording.read_text(encoding="utf-8").splitlines())
        seconds, *_ = ingest.ingest_through_stack(stack, links)
        entries = recording.read_text(encoding="utf-8").splitlines()[skip:]
    calls: Counter[tuple[str, str]] = Counter()
    for line in entries:
        entry = json.loads(line)
        action = str(entry["headers"].get("X-Amz-Target", "?")).rpartition(".")[2]
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        try:
            queue = str(json.loads(body).get("QueueUrl", "")).rpartition("/")[2] or "-"
        except (ValueError, AttributeError):
            queue = "-"
        calls[(action, queue)] += 1
    return calls, len(links), seconds


# ---- report ------------------------------------------------------------------------------------


def report(
    profiles: list[Profile], calls: tuple[Counter[tuple[str, str]], int, float] | None, command: str
) -> list[str]:
    """The Markdown lines of the profile section; ``command`` is how it was run."""
    runs = range(1, len(profiles) + 1)
    first = profiles[0]
    lines = [
        f"`{command}` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC"
        f" ({machine()['cores']} cores, load {os.getloadavg()[0]:.2f} at the end). py-spy {_spy_version()}"
        f" at {first.rate} Hz, `record --subprocesses --threads --gil` attached to the runner;"
        f" {first.links} links at C={first.concurrency}, origin latency {ingest.LATENCY_RANGE[0]}-"
        f"{ingest.LATENCY_RANGE[1]} s (section 1's workload), after a warm-up job.",
        "",
        "CPU per link by part, in ms. 'proc' is each process's /proc CPU (utime + stime) in the window,"
        " split across parts in that process's sampled proportions (so it adds up to the /proc total);"
        " 'sampled' is py-spy's samples × interval.",
        "",
        "| part | " + " | ".join(f"run {r}: proc | run {r}: sampled" for r in runs) + " |",
        "|---|" + "---:|---:|" * len(profiles),
    ]
    proc_parts = [p.part_proc_ms() for p in profiles]
    for part in PARTS:
        if not any(p.parts[part] for p in profiles) and not any(pp[part] > 0.05 for pp in proc_parts):
            continue
        cells = [
            f"{pp[part]:.1f} | {p.sampled_ms(p.parts[part]):.1f}"
            for p, pp in zip(profiles, proc_parts, strict=True)
        ]
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    cells = [f"**{p.proc_total_ms:.1f}** | **{p.sampled_total_ms:.1f}**" for p in profiles]
    lines.append("| **total** | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cross-check by process role: /proc CPU per link against py-spy's samples (ms).",
        "",
        "| process role | processes | "
        + " | ".join(f"run {r}: /proc | run {r}: sampled" for r in runs)
        + " |",
        "|---|---:|" + "---:|---:|" * len(profiles),
    ]
    for role in ROLES:
        count = max(sum(1 for pid in p.proc_cpu if p.roles.get(pid, ROLE_OTHER) == role) for p in profiles)
        cells = [f"{p.role_proc_ms()[role]:.1f} | {p.sampled_ms(p.role_samples[role]):.1f}" for p in profiles]
        lines.append(f"| {role} | {count} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| run | wall time | URLs/s | failed | py-spy's own CPU per link (not in the stack's) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r, p in zip(runs, profiles, strict=True):
        lines.append(
            f"| {r} | {p.seconds:.1f} s | {p.links / p.seconds:.1f} | {p.failed} | {p.spy_cpu / p.links * 1000:.1f} ms |"
        )
    lines += [
        "",
        "Inside each part (sampled ms per link, runs side by side; details under 0.3 ms left out):",
        "",
    ]
    for part in PARTS:
        details: Counter[str] = Counter()
        for p in profiles:
            details.update(p.details[part])
        shown = [
            (name, [p.sampled_ms(p.details[part][name]) for p in profiles])
            for name, _ in details.most_common()
        ]
        shown = [(name, values) for name, values in shown if max(values) >= 0.3]
        if not shown:
            continue
        lines.append(
            f"- {part}: "
            + "; ".join(f"{name} {'/'.join(f'{v:.1f}' for v in values)}" for name, values in shown)
        )
    lines.append(
        f"- {SQS_CLIENT}, by process role: "
        + "; ".join(
            f"{role} {'/'.join(f'{p.sampled_ms(p.client_by_role[role]):.1f}' for p in profiles)}"
            for role in ROLES
            if any(p.client_by_role[role] for p in profiles)
        )
    )
    if calls is not None:
        counted, links, seconds = calls
        lines += [
            "",
            f"SQS calls over HTTP per link, counted by moto's request recorder in a separate run of {links}"
            f" links ({seconds:.1f} s): the functions' own calls through boto3. The pollers' receives,"
            " deletes and visibility changes go to moto in-process (local/moto_queues.py) and are not"
            " requests, so they are not counted here.",
            "",
            "| action | queue | calls | per link |",
            "|---|---|---:|---:|",
        ]
        for (action, queue), n in sorted(counted.items(), key=lambda item: -item[1]):
            lines.append(f"| {action} | {queue} | {n} | {n / links:.2f} |")
        lines.append(f"| **all** | | {sum(counted.values())} | **{sum(counted.values()) / links:.2f}** |")
    return lines


def _spy_version() -> str:
    out = subprocess.run(
        [str(Path(sys.executable).with_name("py-spy")), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip().rpartition(" ")[2] or "?"


def write_section(label: str, lines: list[str], path: Path = RESULTS_PATH) -> str:
    """Put the section "<SECTION_TITLE> (<label>)" into RESULTS.md: in place of one of that title,
    else after the last profile section (or at the end); everything else stays. Returns the heading."""
    heading = f"{SECTION_TITLE} ({label})"
    body = "\n".join([heading, "", *lines]) + "\n"
    parts = sections(path.read_text(encoding="utf-8")) if path.exists() else []
    if any(title == heading for title, _ in parts):
        texts = [body if title == heading else text for title, text in parts]
    else:
        last = max(
            (i for i, (title, _) in enumerate(parts) if title.startswith(PROFILE_HEADING)),
            default=len(parts) - 1,
        )
        texts = [text for _, text in parts]
        texts.insert(last + 1, body)
    path.write_text("\n".join(text.rstrip("\n") + "\n" for text in texts), encoding="utf-8")
    return heading


def main(argv: list[str] | None = None) -> list[Profile]:
    """Profile ``--runs`` runs, count the SQS calls, print the section (and write it with ``--write``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=LINKS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--rate", type=int, default=SAMPLE_RATE, help="py-spy samples per second")
    parser.add_argument("--no-count", action="store_true", help="skip the run that counts SQS calls")
    parser.add_argument("--keep", type=Path, help="copy each run's raw py-spy output into this directory")
    parser.add_argument(
        "--write", metavar="LABEL", help=f"put the section into {RESULTS_PATH.name}, titled '… (LABEL)'"
    )
    args = parser.parse_args(argv)
    workload = ingest.draw_workload(args.links, ingest.WARM_UP_PER_WORKER * args.concurrency)
    profiles: list[Profile] = []
    calls = None
    with (
        quiet_service_logs(),
        OriginServer(latency=workload.latency) as origin,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for run in range(1, args.runs + 1):
            print(f"== profile run {run} …", flush=True)
            work = Path(tmp) / f"run-{run}"
            profiles.append(profile_run(origin, workload, args.concurrency, args.rate, work))
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"py-spy-run-{run}.txt").write_bytes((work / "py-spy.txt").read_bytes())
        if not args.no_count:
            print("== counting SQS calls …", flush=True)
            calls = count_calls(origin, workload, args.concurrency, Path(tmp) / "count")
    given = sys.argv[1:] if argv is None else argv
    lines = report(profiles, calls, " ".join([".venv/bin/python -m bench.profile", *given]))
    print("\n".join(lines))
    if args.write:
        heading = write_section(args.write, lines)
        print(f"\n'{heading}' written to {RESULTS_PATH}")
    return profiles


if __name__ == "__main__":
    main()
