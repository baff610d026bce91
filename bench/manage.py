"""Section 9: managing the list in local mode — a waited change against a read, and the writer's rates.

One episode is added through the local stack (`make run`'s own runner, the origin site on 127.0.0.1).
Then, alternately, ``PATCH /api/episodes/{id}?wait=5`` (favourite on, off, …: each a command through
the FIFO queue to the persister, the API polling the query function until the command's row is
there) and ``GET /api/episodes/{id}`` (one query). ``PATCH`` without ``wait`` (the 202 path: token,
ownership check, send) is timed afterwards, on its own; a waited change skips the ownership check (the
writer refuses an episode that is not the caller's), so the difference of the two is the wait for the
writer less that query. The persister's command rate against its episode-insert rate comes
from section 3's measurement (``bench.persister``), run here on its own files.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench import persister
from bench.common import SectionResult, quiet_service_logs
from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack

TITLE = "9. Managing the list (local mode)"
STACK_ARGS = ("--api-workers", "2", "--shutdown-grace", "0.5")
TARGET_RATIO = 3.0


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _timed(stack: StackProcess, method: str, path: str, body: object = None) -> float:
    began = time.perf_counter()
    status, answer = stack.request(method, path, body)
    seconds = time.perf_counter() - began
    if status not in (200, 202):
        raise RuntimeError(f"{method} {path} answered {status}: {answer}")
    return seconds


def run(changes: int, persister_messages: int) -> SectionResult:
    """``changes`` waited PATCHes and as many GETs, interleaved; as many unwaited PATCHes; the rates."""
    result = SectionResult(TITLE)
    waited: list[float] = []
    reads: list[float] = []
    sent: list[float] = []
    with (
        quiet_service_logs(),
        OriginServer() as origin,
        tempfile.TemporaryDirectory() as tmp,
        running_stack(Path(tmp) / "data", args=STACK_ARGS) as stack,
    ):
        status, added = stack.request(
            "POST", "/api/shortcuts/add-episode?wait=20", {"url": origin.url("/video/bench?title=Bench")}
        )
        if status != 200:
            raise RuntimeError(f"the episode was not added: {status} {added}")
        path = f"/api/episodes/{added['episode']['id']}"
        # Untimed warm-up: each API worker's first calls load what a cold start loads.
        for _ in range(4):
            _timed(stack, "GET", path)
            _timed(stack, "PATCH", f"{path}?wait=5", {"priority": "low"})
        for index in range(changes):
            waited.append(_timed(stack, "PATCH", f"{path}?wait=5", {"favorite": index % 2 == 0}))
            reads.append(_timed(stack, "GET", path))
        status, last = stack.request("GET", path)
        if last["episode"]["favorite"] is not ((changes - 1) % 2 == 0):
            raise RuntimeError("the last waited change is not what the episode shows")
        # Apart, afterwards: an unwaited change left in the queue would delay the waited one behind it.
        for index in range(changes):
            sent.append(_timed(stack, "PATCH", path, {"notes": f"note {index}"}))
    patch_p50, get_p50, sent_p50 = (statistics.median(v) * 1000 for v in (waited, reads, sent))
    result.add("changes (waited PATCHes), GETs, unwaited PATCHes", f"{changes} each")
    result.add("PATCH ?wait=5 p50", patch_p50, "ms")
    result.add("PATCH ?wait=5 p95", percentile(waited, 0.95) * 1000, "ms")
    result.add("GET /api/episodes/{id} p50", get_p50, "ms")
    result.add("GET /api/episodes/{id} p95", percentile(reads, 0.95) * 1000, "ms")
    ratio = patch_p50 / get_p50
    result.add(
        "ratio PATCH ?wait p50 / GET p50", ratio, target=f"≤ {TARGET_RATIO:g}", met=ratio <= TARGET_RATIO
    )
    result.add("  PATCH without wait (202: check + send) p50", sent_p50, "ms")
    result.add(
        "  waited − unwaited p50 (the writer's hop and the polls, less the ownership query it skips)",
        patch_p50 - sent_p50,
        "ms",
    )
    if ratio > TARGET_RATIO:
        result.explanations.append(
            f"Managing: a waited PATCH takes {patch_p50:.1f} ms at the median against {get_p50:.1f} ms for a"
            f" GET ({ratio:.1f}×). An unwaited PATCH (token, ownership query, SendMessage) takes"
            f" {sent_p50:.1f} ms. A waited one leaves the ownership to the writer and adds the FIFO hop to"
            " the local persister (its poller's receive, the transaction, the delete) and the API's polls"
            f" for the command's row: {patch_p50 - sent_p50:.1f} ms more than the unwaited one."
        )
    rates = persister.run(persister_messages)
    for figure in rates.figures:
        if figure.name in ("apply_result", "commands (EpisodeUpdated)", "ratio commands / episode inserts"):
            shown = {"apply_result": "persister: episode inserts"}.get(
                figure.name, f"persister: {figure.name}"
            )
            result.add(shown, figure.value, figure.unit)
    return result
