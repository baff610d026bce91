"""Section 1 over several runs: the median and the spread of each figure, for every C.

    .venv/bin/python -m bench.spread DIR [DIR ...] [--write LABEL]

Each DIR holds the RESULTS.md of one `python -m bench --only 1 --out DIR` run. The machine is shared,
so one run says little; this gives, for C = 2, 5, 8, 10, throughput, ratio to the limit, ratio to the
chunk baseline, stack CPU per link and its ratio to yt-dlp's own CPU per link, as the median and the
min–max of the runs, with each run's load average. ``--write`` puts the table into bench/RESULTS.md as
its last section ("## Profile: …", which `make bench` keeps as it is).
"""

from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

from bench.ingest import TARGET_CPU_OVER_YTDLP, TARGET_OVER_BASELINE, TARGETS_OF_LIMIT
from bench.report import PROFILE_HEADING, RESULTS_NAME, sections

RESULTS_PATH = Path(__file__).resolve().parent / RESULTS_NAME
TITLE = f"{PROFILE_HEADING}: section 1 over several runs"
YTDLP = "yt-dlp CPU per link, as the adapter runs it"
# (column heading, figure name after "C=<c>: ", digits shown)
COLUMNS = [
    ("URLs/s", "throughput", 2),
    ("ratio to the limit", "ratio to the limit", 3),
    ("ratio to chunks of C", "ratio to the baseline", 3),
    ("stack CPU per link (ms)", "stack CPU per URL", 1),
    (
        "yt-dlp's floor (ms)",
        "yt-dlp's floor, {c} processes at once on pages after their latency, around this run",
        1,
    ),
    ("plumbing (ms)", "stack CPU per URL beyond that floor (the plumbing)", 1),
    ("stack CPU / yt-dlp's", "stack CPU per URL / yt-dlp's own CPU per link", 2),
]
_ROW = re.compile(r"^\| (?P<name>[^|]+?) \| (?P<value>[^|]+?) \|")
_LOAD = re.compile(r"Load average \(1 min\) at start / end: (\d+\.\d+) / (\d+\.\d+)")
_DATE = re.compile(r" on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def figures(text: str) -> dict[str, float]:
    """Every figure of a RESULTS.md's tables by name: the number its value starts with."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            number = match["value"].split(" ")[0].replace(",", "")
            try:
                found.setdefault(match["name"], float(number))
            except ValueError:
                continue
    return found


def run_line(index: int, text: str) -> str:
    """One run's date and load average, as the report's header gave them."""
    load = _LOAD.search(text)
    date = _DATE.search(text)
    when = date.group(1) if date else "?"
    shown = f"load (1 min) {load.group(1)} at the start, {load.group(2)} at the end" if load else "load ?"
    return f"- run {index}: {when} UTC, {shown}"


def spread(values: list[float], digits: int) -> str:
    """ "median (min–max)" of the runs' values."""
    if not values:
        return "–"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def _cell(runs: list[dict[str, float]], name: str, digits: int) -> str:
    return spread([run[name] for run in runs if name in run], digits)


def report(texts: list[str], command: str) -> list[str]:
    """The section's lines: how it was made, each run's load, then the table."""
    runs = [figures(text) for text in texts]
    concurrencies = sorted(
        {int(name[2:].split(":")[0]) for run in runs for name in run if name.startswith("C=")}
    )
    targets = (
        f"targets (issue 17, on the median): ratio to the limit ≥ {TARGETS_OF_LIMIT[5]} at C=5 and ≥"
        f" {TARGETS_OF_LIMIT[10]} at C=10, ratio to chunks of 5 ≥ {TARGET_OVER_BASELINE} at C=5, stack"
        f" CPU ≤ {TARGET_CPU_OVER_YTDLP} × yt-dlp's own at C=5 and C=10"
    )
    lines = [
        f"`{command}`: {len(texts)} runs of `.venv/bin/python -m bench --only 1`, each in its own --out"
        " directory; every cell is the median of the runs and, in brackets, their min–max. The stack CPU"
        " ratio divides each run's stack CPU per link by yt-dlp's CPU per link measured alone, as the"
        f" adapter runs it, just before and after that stack run; {targets}.",
        "",
        *[run_line(i, text) for i, text in enumerate(texts, 1)],
        f"- yt-dlp's own CPU per link (ms): {spread([r[YTDLP] for r in runs if YTDLP in r], 1)}",
        "",
        "| C | " + " | ".join(heading for heading, _, _ in COLUMNS) + " |",
        "|---:|" + "---:|" * len(COLUMNS),
    ]
    for c in concurrencies:
        cells = [_cell(runs, f"C={c}: {name.format(c=c)}", digits) for _, name, digits in COLUMNS]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return lines


def write_last(label: str, lines: list[str], path: Path = RESULTS_PATH) -> str:
    """Put "<TITLE> (<label>)" at the end of RESULTS.md, in place of an earlier one of that heading."""
    heading = f"{TITLE} ({label})"
    parts = sections(path.read_text(encoding="utf-8")) if path.exists() else []
    texts = [text for title, text in parts if title != heading]
    texts.append("\n".join([heading, "", *lines]) + "\n")
    path.write_text("\n".join(text.rstrip("\n") + "\n" for text in texts), encoding="utf-8")
    return heading


def main(argv: list[str] | None = None) -> list[str]:
    """Read the runs' reports, print the table (and write it with ``--write``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.spread", description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="--out directories of `python -m bench --only 1`")
    parser.add_argument("--write", metavar="LABEL", help=f"put the table at the end of {RESULTS_PATH.name}")
    args = parser.parse_args(argv)
    texts = [(d / RESULTS_NAME).read_text(encoding="utf-8") for d in args.dirs]
    lines = report(texts, " ".join([".venv/bin/python -m bench.spread", *(str(d) for d in args.dirs)]))
    print("\n".join(lines))
    if args.write:
        print(f"\n'{write_last(args.write, lines)}' written to {RESULTS_PATH}")
    return lines


if __name__ == "__main__":
    main()
