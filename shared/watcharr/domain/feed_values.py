"""Durations and dates as podcast feeds write them (pure: no network).

``published_date`` is the UTC instant ``YYYY-MM-DDTHH:MM:SSZ``. feedparser reads the dates; a small
RFC 822 parser of our own takes over where feedparser returns nothing (``July 25, 2011``) or misreads
a part it does not know (``1:30 PM``, zones such as ``CEST`` or ``AEST``, which it takes as UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# A week of audio; longer itunes:duration values are typos, not episodes.
MAX_DURATION_SECONDS = 7 * 24 * 3600


# ---- durations ------------------------------------------------------------------------------------

_SECONDS = re.compile(r"(\d{1,9})(?:\.\d*)?")
_CLOCK = re.compile(r"(\d{1,6}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d*)?")


def parse_duration(raw: object) -> int | None:
    """Seconds from an ``itunes:duration``: ``3723``, ``62:03``, ``7:04``, ``1:02:03``, ``01:02:03.5``.

    Fractions are dropped; anything else (``1h2m3s``, ``abc``, ``1:75``), zero (a placeholder, not a
    length) or more than a week is None, never an error.
    """
    text = str(raw).strip() if raw is not None else ""
    seconds: int | None = None
    if match := _SECONDS.fullmatch(text):
        seconds = int(match.group(1))
    elif match := _CLOCK.fullmatch(text):
        first, second, third = match.groups()
        if third is None:
            minutes, secs = int(first), int(second)
            seconds = minutes * 60 + secs if secs < 60 else None
        elif int(third) < 60:
            # Minutes past 59 ("00:60:05") are a slip, but the sum is still what was meant.
            seconds = int(first) * 3600 + int(second) * 60 + int(third)
    if seconds is None or not 0 < seconds <= MAX_DURATION_SECONDS:
        return None
    return seconds


# ---- dates ----------------------------------------------------------------------------------------

# Spelled out here: calendar's month names follow the process locale.
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTHS = {name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)}
# Offsets in minutes. feedparser knows the North American zones but reads every other name as UTC.
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    "akst": -540, "akdt": -480, "hst": -600, "ast": -240, "adt": -180,
    "bst": 60, "west": 60, "cet": 60, "met": 60, "cest": 120, "mest": 120, "eet": 120, "eest": 180,
    "msk": 180, "jst": 540, "kst": 540, "awst": 480, "acst": 570, "acdt": 630, "aest": 600, "aedt": 660,
    "nzst": 720, "nzdt": 780,
}  # fmt: skip
_MAX_DATE_CHARS = 80
_LOOSE_DATE = re.compile(
    r"""^\s*(?:[A-Za-z]+\.?,?\s+)??                                   # weekday, comma optional
    (?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m1>[A-Za-z]+)\.?,?\s+(?P<y1>\d{4})   # 25 July 2011
      |(?P<m2>[A-Za-z]+)\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))  # July 25, 2011
    (?:,?\s+(?:at\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?
       \s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?
    (?:\s*(?P<tz>[+-]\d{2}:?\d{2}|(?:GMT|UTC)[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}))?
    \s*(?:\([^)]*\))?\s*$""",
    re.VERBOSE,
)


def _zone_minutes(token: str | None) -> int:
    if not token:
        return 0
    upper = token.upper()
    if upper[:3] in ("GMT", "UTC") and len(upper) > 3:
        upper = upper[3:]
    if upper[0] in "+-":
        digits = upper[1:].replace(":", "")
        hours, minutes = (int(digits[:-2] or 0), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        return (hours * 60 + minutes) * (-1 if upper[0] == "-" else 1)
    return _ZONES.get(token.lower(), 0)


def parse_loose_date(raw: str) -> datetime | None:
    """A UTC datetime from the date shapes feeds write by hand, or None.

    Accepts an optional weekday (with or without comma), ``25 July 2011`` or ``July 25, 2011``, an
    optional ``H:MM[:SS]`` with AM/PM, and a numeric or named zone (unknown names count as UTC).
    """
    # Real dates are short; the length check also keeps the regex's backtracking small.
    match = _LOOSE_DATE.match(raw) if len(raw) <= _MAX_DATE_CHARS else None
    if not match:
        return None
    month_name = (match["m1"] or match["m2"]).lower()
    month = _MONTHS.get(month_name[:3])
    # "Jul", "July" and "Sept" name a month; "Julyx" or "Monday" do not.
    if month is None or not _MONTH_NAMES[month - 1].startswith(month_name):
        return None
    hour = int(match["h"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    try:
        local = datetime(
            int(match["y1"] or match["y2"]),
            month,
            int(match["d1"] or match["d2"]),
            hour,
            int(match["mi"] or 0),
            int(match["s"] or 0),
            tzinfo=timezone(timedelta(minutes=_zone_minutes(match["tz"]))),
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def entry_datetime(entry: Any) -> datetime | None:
    # dict.get: FeedParserDict.get("updated…") falls back to "published…" with a DeprecationWarning.
    raw = entry.get("published") or dict.get(entry, "updated") or ""
    parsed = entry.get("published_parsed") or dict.get(entry, "updated_parsed")
    loose = parse_loose_date(raw) if raw else None
    if parsed is None:
        return loose
    from_feedparser = datetime(*parsed[:6], tzinfo=UTC)
    # Both read RFC 822 alike, so they differ only where feedparser ignored AM/PM or a zone name.
    return loose if loose is not None and loose != from_feedparser else from_feedparser
