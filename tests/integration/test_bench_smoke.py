"""`make bench` with tiny sizes: every section runs and reports numbers, the report and the plot appear.

The figures of a smoke run mean nothing (a few links, one run); what is checked is that the harness
works end to end — the stacks start and stop, each section measures what it claims — so that the
real `make bench` does not break unnoticed. No timing is asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import spread
from bench.__main__ import main
from bench.common import Figure, SectionResult

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _figure(result: SectionResult, name: str) -> Figure:
    return next(f for f in result.figures if f.name == name)


def test_every_section_runs_and_writes_the_report_and_the_plot(tmp_path: Path) -> None:
    # When the whole harness runs with its smoke sizes into a temporary folder
    results = main(["--smoke", "--out", str(tmp_path)])

    # Then every section reports, each with numbers
    by_title = {r.title.split(".")[0]: r for r in results}
    assert sorted(by_title) == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    for result in results:
        assert any(isinstance(f.value, int | float) for f in result.figures), result.title
    # The ingest went through the stack and the baseline, and compares both with the limit
    ingest = by_title["1"]
    assert _figure(ingest, "C=2: throughput").value > 0
    assert _figure(ingest, "C=2: baseline, chunks of 2").value > 0
    assert _figure(ingest, "C=2: limit C / mean latency").value > 0
    assert not any(f.name.startswith("C=2: items failed") for f in ingest.figures)
    # The stack's CPU per link is set against yt-dlp's own
    assert _figure(ingest, "C=2: stack CPU per URL / yt-dlp's own CPU per link").value > 0
    # and against its floor: yt-dlp in C processes at once, each page after its drawn latency
    floor = _figure(
        ingest, "C=2: yt-dlp's floor, 2 processes at once on pages after their latency, around this run"
    )
    stack = _figure(ingest, "C=2: stack CPU per URL")
    plumbing = _figure(ingest, "C=2: stack CPU per URL beyond that floor (the plumbing)")
    assert floor.value > 0 and plumbing.value == pytest.approx(stack.value - floor.value)
    # The API side and the bare loop made the same sends
    assert _figure(by_title["2"], "messages / SendMessageBatch calls").value == "6 / 2"
    # Every episode reached the database, and the unchanged feeds were only revalidated
    assert _figure(by_title["4"], "730-item feed: episodes added").value == 730
    assert _figure(by_title["4"], "second sync: feeds parsed (200 answers)").value == 0
    assert _figure(by_title["4"], "second sync: GETs / conditional / 304").value == "3 / 3 / 3"
    assert _figure(by_title["5"], "api/query/persister load yt_dlp at import").value == "none"
    # The waited PATCHes and the GETs were timed side by side, next to the writer's two rates
    assert _figure(by_title["9"], "PATCH ?wait=5 p50").value > 0
    assert _figure(by_title["9"], "GET /api/episodes/{id} p50").value > 0
    assert _figure(by_title["9"], "persister: commands (EpisodeUpdated)").value > 0

    # And the report lists every section and target, next to a real PNG plot
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    for result in results:
        assert f"## {result.title}" in report
    assert "## Targets" in report
    assert "ratio API / bare loop" in report
    assert "Machine: " in report
    plot = (tmp_path / "throughput.png").read_bytes()
    assert plot.startswith(PNG_MAGIC)
    assert len(plot) > 10_000

    # And the spread over runs reads the report back: one row per C, median and min–max of each figure
    lines = spread.main([str(tmp_path), str(tmp_path)])
    (row,) = [line for line in lines if line.startswith("| 2 |")]
    shown = float(floor.shown().split()[0].replace(",", ""))
    assert f"| {shown:.1f} ({shown:.1f}–{shown:.1f}) |" in row
    ratio = float(_figure(ingest, "C=2: stack CPU per URL / yt-dlp's own CPU per link").shown())
    assert row.endswith(f"| {ratio:.2f} ({ratio:.2f}–{ratio:.2f}) |")
