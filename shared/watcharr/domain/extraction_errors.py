"""Why extracting a link failed, in words a user understands, and whether trying again can help.

Pure functions over the text (and HTTP status) of yt-dlp's errors and warnings. The patterns are the
messages yt-dlp prints: its own texts and the refusal reasons that YouTube sends and yt-dlp passes on
(see tests/unit/test_extraction_errors.py for each source).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

MAX_REASON_LENGTH = 300
# Query parameters whose values are credentials (API keys, signed URLs); never logged or stored.
SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "access_token", "token", "auth", "signature", "sig", "password"}
)


@dataclass(frozen=True)
class ExtractionFailure:
    """A classified failure: a short readable reason, whether a later retry can help, a stable code."""

    reason: str
    retryable: bool
    code: str


class ExtractionError(Exception):
    """A link could not be extracted; ``reason`` is safe to show to the user and to store."""

    retryable: ClassVar[bool] = False

    def __init__(self, reason: str, code: str = "extraction_failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    @property
    def failure(self) -> ExtractionFailure:
        """The same facts as an ``ExtractionFailure``."""
        return ExtractionFailure(self.reason, self.retryable, self.code)


class PermanentExtractionError(ExtractionError):
    """Trying again will not help: the item ends ``failed`` with this reason."""


class TransientExtractionError(ExtractionError):
    """The site or the network failed for now: let the queue deliver the request again."""

    retryable = True


def extraction_error(failure: ExtractionFailure) -> ExtractionError:
    """The exception to raise for a classified failure."""
    cls = TransientExtractionError if failure.retryable else PermanentExtractionError
    return cls(failure.reason, failure.code)


def _failure(code: str, reason: str, *, retryable: bool = False) -> ExtractionFailure:
    return ExtractionFailure(reason=reason, retryable=retryable, code=code)


# Failures the adapter decides itself, from what yt-dlp returned rather than from an error.
NOT_MEDIA = _failure("not_media", "The link does not lead to a video or audio file.")
NOT_A_SINGLE_VIDEO = _failure(
    "playlist", "The link is a playlist or a page of several videos, not one video."
)
NO_TITLE = _failure("no_metadata", "The site gave no title or details for this link.")

# Refusals: the site answered but withheld the media. Checked first, in this order, because their
# messages also mention signing in, availability and so on. Apostrophes may be ' or ’.
_REFUSALS: tuple[tuple[re.Pattern[str], ExtractionFailure], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), failure)
    for pattern, failure in (
        (
            # YouTube's bot check, and its captcha variant (youtube/_video.py adds the captcha sentence).
            r"confirm you.?re not a bot|requiring a captcha challenge",
            _failure(
                "bot_check",
                "YouTube asked to confirm this is not a bot; will try again later.",
                retryable=True,
            ),
        ),
        (
            r"this content isn[’']t available, try again later",
            _failure(
                "rate_limited", "YouTube is limiting requests for now; will try again later.", retryable=True
            ),
        ),
        (
            # YouTube refuses the client yt-dlp presents itself as (yt-dlp issues #10108, #13930).
            r"not available on this app",
            _failure(
                "client_refused",
                "YouTube refused the app the server presented itself as; will try again later.",
                retryable=True,
            ),
        ),
        (
            r"confirm your age|age-restricted|inappropriate for some users",
            _failure("age_restricted", "This video is age-restricted and needs a signed-in account."),
        ),
        (r"private video|this video is private", _failure("private", "This video is private.")),
        (
            r"join this channel|members-only|available to this channel's members",
            _failure("members_only", "This video is only for the channel's paying members."),
        ),
        (
            r"not (?:made this video )?available in your country|blocked it in your country"
            r"|not available from your location|geo.?restrict",
            _failure("geo_blocked", "This video is not available in the region the server runs in."),
        ),
        (
            r"premieres in|live event will begin in|this live event has not (?:yet )?started",
            _failure("not_started", "This video is a premiere or live stream that has not started yet."),
        ),
        (
            r"account associated with this video has been terminated",
            _failure("account_terminated", "The channel of this video was terminated."),
        ),
        (
            # Any other "sign in" reason (the specific ones above come first).
            r"\bsign in\b",
            _failure("sign_in_required", "YouTube only shows this video to signed-in viewers."),
        ),
        (
            r"has been removed|removed by the uploader|no longer available",
            _failure("removed", "This video was removed."),
        ),
        (
            r"video unavailable|this video is unavailable",
            _failure("unavailable", "This video is unavailable."),
        ),
        (r"drm protected", _failure("drm", "This video is DRM protected.")),
    )
)

# Network failures (no HTTP answer): the texts of urllib, requests/urllib3 and the socket layer.
_TIMEOUT = re.compile(r"timed out|timeout", re.IGNORECASE)
_NETWORK = re.compile(
    r"connection (?:refused|reset|aborted)|remote end closed|name or service not known"
    r"|temporary failure in name resolution|getaddrinfo failed|nodename nor servname"
    r"|network is unreachable|no route to host|incompleteread|max retries exceeded|failed to resolve",
    re.IGNORECASE,
)
_TLS = re.compile(r"certificate verify failed|CERTIFICATE_VERIFY_FAILED", re.IGNORECASE)
_HTTP_STATUS = re.compile(r"HTTP Error (\d{3})")

# What yt-dlp says when a link is not something it can read.
_NOT_SUPPORTED: tuple[tuple[re.Pattern[str], ExtractionFailure], ...] = (
    (
        re.compile(r"Unsupported URL"),
        _failure("unsupported_url", "This link is not a page yt-dlp can read a video from."),
    ),
    (re.compile(r"is not a valid URL|Invalid URL"), _failure("invalid_url", "This is not a valid link.")),
    (re.compile(r"Incomplete YouTube ID"), _failure("invalid_url", "This YouTube link looks truncated.")),
    (
        re.compile(r"Requested format is not available"),
        _failure("format_unavailable", "The site offers no format of this video that can be read."),
    ),
    (
        re.compile(r"No video formats found"),
        _failure("no_formats", "The site offers no playable media for this link."),
    ),
)

# "ERROR: [youtube] dQw4w9WgXcQ: " — the level, the extractor and the video id before the message.
_PREFIX = re.compile(r"^(?:ERROR:\s*|WARNING:\s*)?(?:\[[^\]\s]+\]\s*(?:[^\s:]{1,80}:\s+)?)?")
_CAUSED_BY = re.compile(r"\s*\(caused by .*$", re.DOTALL)
_BUG_REPORT = re.compile(r";?\s*please report this issue on .*$", re.DOTALL | re.IGNORECASE)
_URL = re.compile(r"https?://[^\s'\"<>]+")


# Failures decided by the YouTube metadata fallbacks (Data API, oEmbed), not by yt-dlp.
NOT_PUBLIC = _failure(
    "not_public", "YouTube lists no public video with this id; it is private, removed or mistyped."
)

# YouTube refusals that are about the server (its datacenter address, its region, the app yt-dlp
# presents, the missing account) rather than about the video: the Data API or oEmbed still describe
# the video, so the episode is added from them (docs/YOUTUBE.md has the table). A 403 and the retryable
# HTTP/network failures count too, but only once SQS retries are spent (see logic/extract.py).
METADATA_FALLBACK_CODES = frozenset(
    {
        "bot_check", "rate_limited", "client_refused", "sign_in_required", "age_restricted",
        "members_only", "geo_blocked", "not_started", "unavailable", "forbidden", "no_metadata",
    }
)  # fmt: skip
# Refusals that no retry from the same server will lift soon: use the fallback at once.
IMMEDIATE_FALLBACK_CODES = frozenset({"bot_check", "rate_limited", "client_refused"})


def redact_secrets(text: str) -> str:
    """Remove credential query parameters (``key=…`` and the like) from every URL in ``text``."""
    return _URL.sub(lambda m: _strip_secret_params(m.group(0)), text)


def _strip_secret_params(url: str) -> str:
    base, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0].lower() not in SECRET_PARAMS]
    return base + ("?" + "&".join(kept) if kept else "") + hash_sep + fragment


def readable_message(message: str) -> str:
    """yt-dlp's message as one short sentence: no ERROR/extractor prefix, cause, bug report plea, secret."""
    text = _BUG_REPORT.sub("", message.strip().splitlines()[0] if message.strip() else "")
    text = _CAUSED_BY.sub("", text)
    text = _PREFIX.sub("", text, count=1)
    text = redact_secrets(" ".join(text.split()))
    if len(text) > MAX_REASON_LENGTH:
        text = text[: MAX_REASON_LENGTH - 1].rstrip() + "…"
    return text or "Unknown extraction error."


def _http_failure(status: int) -> ExtractionFailure:
    if status in (404, 410):
        state = "was not found" if status == 404 else "is gone"
        return _failure("not_found", f"The page {state} (HTTP {status}).")
    if status == 429:
        return _failure(
            "rate_limited", "The site is limiting requests (HTTP 429); will try again later.", retryable=True
        )
    if status in (401, 403):
        return _failure("forbidden", f"The site refused access (HTTP {status}).")
    if status >= 500:
        return _failure(
            "server_error",
            f"The site had a server error (HTTP {status}); will try again later.",
            retryable=True,
        )
    return _failure("http_error", f"The site answered with HTTP {status}.")


def classify_refusal(message: str) -> ExtractionFailure | None:
    """The refusal a site gave (bot check, private, age, members-only, geo, premiere, removed…), if any."""
    for pattern, failure in _REFUSALS:
        if pattern.search(message):
            return failure
    return None


def first_refusal(messages: Iterable[str]) -> ExtractionFailure | None:
    """The first refusal among yt-dlp's warnings (it only warns when formats are optional)."""
    for message in messages:
        refusal = classify_refusal(message)
        if refusal is not None:
            return refusal
    return None


def classify_extraction_error(
    message: str, http_status: int | None = None, *, network_error: bool = False
) -> ExtractionFailure:
    """Classify one yt-dlp error.

    ``http_status`` is the status of the HTTP error that caused it, if any; ``network_error`` says the
    request got no HTTP answer at all (timeout, refused, reset, DNS), which the caller knows from the
    exception type whatever the HTTP library's wording.
    """
    refusal = classify_refusal(message)
    if refusal is not None:
        return refusal
    if http_status is None:
        found = _HTTP_STATUS.search(message)
        http_status = int(found.group(1)) if found else None
    if http_status is not None:
        return _http_failure(http_status)
    if _TLS.search(message):
        return _failure("tls_error", "The site's TLS certificate could not be verified.")
    if _TIMEOUT.search(message):
        return _failure("timeout", "The site did not answer in time; will try again later.", retryable=True)
    if network_error or _NETWORK.search(message):
        return _failure("network", "Could not connect to the site; will try again later.", retryable=True)
    for pattern, failure in _NOT_SUPPORTED:
        if pattern.search(message):
            return failure
    return _failure("extraction_failed", f"Extraction failed: {readable_message(message)}")


def wants_metadata_fallback(failure: ExtractionFailure, *, last_attempt: bool) -> bool:
    """Whether a refused YouTube video should be described by the Data API or oEmbed instead.

    Refusals about the server go to the fallback at once; retryable failures (timeouts, 5xx) only on
    the last attempt, so a passing hiccup still gets yt-dlp's complete metadata; refusals about the
    video itself (private, removed…) never, since every source would refuse it too.
    """
    if failure.code in IMMEDIATE_FALLBACK_CODES:
        return True
    if failure.code in METADATA_FALLBACK_CODES and not failure.retryable:
        return True
    return failure.retryable and last_attempt
