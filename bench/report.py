"""The benchmark report: a table on the terminal, bench/RESULTS.md and the throughput plot."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from bench.common import Figure, SectionResult
from bench.ingest import CPU_CEILING, SERIES_BASELINE, SERIES_LIMIT, SERIES_PROJECT

PLOT_NAME = "throughput.png"
RESULTS_NAME = "RESULTS.md"
# Sections written by `python -m bench.profile --write` (and notes on them), not by `make bench`:
# a new report keeps every section whose heading starts so, as it was.
PROFILE_HEADING = "## Profile"
# The order and style of the plot's lines, by series name in section 1.
PLOT_STYLES = {
    SERIES_LIMIT: {"linestyle": "--", "marker": "^", "color": "tab:gray"},
    SERIES_PROJECT: {"linestyle": "-", "marker": "o", "color": "tab:blue"},
    SERIES_BASELINE: {"linestyle": "-", "marker": "s", "color": "tab:orange"},
    CPU_CEILING: {"linestyle": ":", "marker": "", "color": "tab:red"},
}


def table(figures: Sequence[Figure], *, with_section: bool = False) -> list[str]:
    """A Markdown table of figures: name, value, target, verdict (and notes)."""
    head = ["section"] if with_section else []
    lines = [
        "| " + " | ".join([*head, "figure", "value", "target", "verdict", "note"]) + " |",
        "|" + "---|" * (len(head) + 5),
    ]
    for f in figures:
        verdict = {"met": "met", "NOT met": "**NOT met**"}.get(f.verdict, "")
        cells = [f.section] if with_section else []
        cells += [f.name, f.shown(), f.target, verdict, f.note]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return lines


def console(results: Sequence[SectionResult]) -> str:
    """The plain-text table printed at the end of a run."""
    rows = [(r.title, f.name, f.shown(), f.target, f.verdict) for r in results for f in r.figures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)] if rows else [0] * 5
    out = []
    for row in rows:
        out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)


def write_plot(ingest: SectionResult, path: Path, subtitle: str) -> None:
    """Throughput against concurrency: this project, the reference's chunks, the limit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=100)
    for name, style in PLOT_STYLES.items():
        points = sorted(ingest.series.get(name, []))
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], label=name, **style)
    concurrencies = sorted({p[0] for points in ingest.series.values() for p in points})
    axes.set_xticks(concurrencies)
    axes.set_xlabel("concurrency C (extractions at once)")
    axes.set_ylabel("URLs per second")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend()
    axes.set_title("End-to-end ingest throughput", fontsize=12)
    figure.text(0.5, 0.005, subtitle, ha="center", va="bottom", fontsize=8, color="dimgray")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(path)
    plt.close(figure)


def write_results(
    results: Sequence[SectionResult],
    path: Path,
    *,
    header: list[str],
    explanations: list[str],
    plot: str | None,
) -> None:
    """RESULTS.md: the run's context, every target and its verdict, then each section in full."""
    with_targets = [f for r in results for f in r.figures if f.target]
    lines = ["# Benchmark results", "", *header, "", "## Targets", ""]
    lines += table(with_targets, with_section=True)
    lines += ["", "### Targets not met, and why", ""]
    lines += explanations or ["Every target was met in this run."]
    for result in results:
        lines += ["", f"## {result.title}", "", f"Section time: {result.seconds:.0f} s.", ""]
        lines += table(result.figures)
        if result.notes:
            lines += [""] + [f"- {note}" for note in result.notes]
        if plot and result.series and result.title.startswith("1."):
            lines += ["", f"![Throughput against concurrency]({plot})"]
    for section in kept_sections(path, PROFILE_HEADING):
        lines += ["", section.rstrip("\n")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sections(text: str) -> list[tuple[str, str]]:
    """A Markdown text cut at its ``## `` headings: (heading line, the section's text with it), the
    text before the first heading (if any) first, under the heading ''."""
    starts = [match.start() for match in re.finditer(r"^## ", text, flags=re.MULTILINE)]
    # What comes before the first heading is a part too, with an empty heading.
    bounds = [0, *[start for start in starts if start > 0], len(text)]
    parts = [(text[a:b].partition("\n")[0], text[a:b]) for a, b in itertools.pairwise(bounds)]
    return [(heading if heading.startswith("## ") else "", body) for heading, body in parts if body]


def kept_sections(path: Path, prefix: str) -> list[str]:
    """The sections of the file at ``path`` whose heading starts with ``prefix``, in order."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [body for heading, body in sections(text) if heading.startswith(prefix)]
