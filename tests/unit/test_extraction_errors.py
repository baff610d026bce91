"""Classification of yt-dlp's messages into readable, retryable-or-not failures.

Every message below is one yt-dlp prints (yt-dlp 2026.10.26, the pinned version). Where yt-dlp composes
it, the source is the file under yt_dlp/ that does; YouTube's own refusal reasons are passed through by
yt_dlp/extractor/youtube/_video.py (``_real_extract``: ``reason`` + ``". " + subreason``, then
``raise_no_formats``; sign-in reasons get ``_youtube_login_hint`` from youtube/_base.py appended), and
the issue where that exact text was reported is named.
"""

from __future__ import annotations

import pytest

from watcharr.domain.extraction_errors import (
    ExtractionFailure,
    PermanentExtractionError,
    TransientExtractionError,
    classify_extraction_error,
    extraction_error,
    first_refusal,
    readable_message,
    redact_secrets,
)

# What yt-dlp appends to every YouTube "sign in" reason: youtube/_base.py _youtube_login_hint with
# common.py _login_hint(method="cookies").
LOGIN_HINT = (
    "Use --cookies-from-browser or --cookies for the authentication. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass "
    "cookies. Also see  https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  for "
    "tips on effectively exporting YouTube cookies"
)

# (message as yt-dlp raises or warns it, where it comes from, expected code, expected retryable)
MESSAGES: list[tuple[str, str, str, bool]] = [
    (
        f"ERROR: [youtube] tJ51nR4-tLs: Sign in to confirm you’re not a bot. {LOGIN_HINT}",
        "YouTube reason (yt-dlp issue #10707), sign-in branch of youtube/_video.py",
        "bot_check",
        True,
    ),
    (
        "ERROR: [youtube] rVXeIRY6H9c: Sign in to confirm you're not a bot. This helps protect our "
        "community. Learn more",
        "older yt-dlp output with a straight apostrophe (yt-dlp issue #12175)",
        "bot_check",
        True,
    ),
    (
        "[youtube] dQw4w9WgXcQ: This content isn't available, try again later. The current session has been "
        "rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add a delay "
        "between video requests to avoid exceeding the rate limit.",
        'youtube/_video.py, the "This content isn\'t available, try again later" branch',
        "rate_limited",
        True,
    ),
    (
        "ERROR: [youtube] dQw4w9WgXcQ: Video unavailable. YouTube is requiring a captcha challenge before "
        "playback",
        "youtube/_video.py, the captcha branch (playerCaptchaViewModel in the error screen)",
        "bot_check",
        True,
    ),
    (
        "ERROR: [youtube] aetXqd9B8WE: The following content is not available on this app.. Watch on the "
        "latest version of YouTube.",
        "YouTube reason for a refused player client (yt-dlp issues #10108, #10151)",
        "client_refused",
        True,
    ),
    (
        f"ERROR: [youtube] abcdefghijk: Sign in to view this video. {LOGIN_HINT}",
        "not a captured message: the shape youtube/_video.py gives any other reason with 'sign in' in it",
        "sign_in_required",
        False,
    ),
    (
        f"ERROR: [youtube] fVs0suPHAX8: Sign in to confirm your age. This video may be inappropriate for "
        f"some users. {LOGIN_HINT}",
        "YouTube reason (yt-dlp issue #11086); youtube/_video.py AGE_GATE_REASONS lists 'confirm your age'",
        "age_restricted",
        False,
    ),
    (
        f"ERROR: [youtube] M7mKMWjAxG8: Private video. Sign in if you've been granted access to this video. "
        f"{LOGIN_HINT}",
        "YouTube reason (yt-dlp issue #4455); 'Private video' is also a skip note in youtube/_video.py",
        "private",
        False,
    ),
    (
        "ERROR: [youtube] Cblh2cCXp44: This video is private. If the owner of this video has granted you "
        "access, please sign in.",
        "YouTube reason (iejMac/video2dataset PR #72)",
        "private",
        False,
    ),
    (
        "ERROR: [youtube] zNZLEXsixWs: Join this channel to get access to members-only content like this "
        "video, and other exclusive perks.",
        "YouTube reason (yt-dlp issue #8694)",
        "members_only",
        False,
    ),
    (
        "ERROR: [youtube] epoGMzLgyFQ: Join this channel from your computer or Android app to get access to "
        "members-only content like this video.",
        "YouTube reason (Unrud/video-downloader issue #319)",
        "members_only",
        False,
    ),
    (
        "ERROR: [youtube] 5M-oyVRI4fA: The uploader has not made this video available in your country\n"
        "You might want to use a VPN or a proxy server (with --proxy) to workaround.",
        "subreason matched in youtube/_video.py, raised by common.py raise_geo_restricted; the VPN line is "
        "added by YoutubeDL.py _handle_extraction_exceptions",
        "geo_blocked",
        False,
    ),
    (
        "[generic] abc: This video is not available from your location due to geo restriction",
        "default message of common.py raise_geo_restricted",
        "geo_blocked",
        False,
    ),
    (
        "Video unavailable. This video contains content from 'ZDF', who has blocked it in your country on "
        "copyright grounds",
        "YouTube reason + subreason (yt-dlp issue #2804)",
        "geo_blocked",
        False,
    ),
    (
        "ERROR: [youtube] 4pfMyoT6LhE: Premieres in 2 hours",
        "YouTube reason (tgbot-collection/ytdlbot issue #128)",
        "not_started",
        False,
    ),
    (
        "ERROR: [youtube+GetPOT] zDDmqpnkPy8: This live event will begin in 2 days.",
        "YouTube reason, with a plugin-extended extractor name (jmbannon/ytdl-sub issue #1323)",
        "not_started",
        False,
    ),
    (
        "ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available because the "
        "YouTube account associated with this video has been terminated.",
        "YouTube reason + subreason (vididataset/VIDI issue #1), joined with '. ' by youtube/_video.py",
        "account_terminated",
        False,
    ),
    (
        "ERROR: [youtube] KqM_GGR5lig: This video has been removed by the uploader",
        "YouTube reason (iejMac/video2dataset PR #72)",
        "removed",
        False,
    ),
    (
        "This video has been removed for violating YouTube's policy on hate speech.",
        "skip note of a test in youtube/_video.py",
        "removed",
        False,
    ),
    (
        "ERROR: [youtube] xTo79sPCVXA: Video unavailable",
        "YouTube reason; also a skip note in youtube/_video.py",
        "unavailable",
        False,
    ),
    (
        "ERROR: [generic] 1: This video is DRM protected",
        "YoutubeDL.py raise_no_formats",
        "drm",
        False,
    ),
    (
        "ERROR: [youtube] 9rdJJMAd-PA: Requested format is not available. Use --list-formats for a list of "
        "available formats",
        "YoutubeDL.py process_video_result",
        "format_unavailable",
        False,
    ),
    (
        "ERROR: [generic] 2: No video formats found!",
        "YoutubeDL.py raise_no_formats",
        "no_formats",
        False,
    ),
    (
        "ERROR: Unsupported URL: https://example.com/about",
        "utils/_utils.py UnsupportedError",
        "unsupported_url",
        False,
    ),
    (
        "ERROR: 'not a link' is not a valid URL",
        "extractor/generic.py _real_extract",
        "invalid_url",
        False,
    ),
    (
        "ERROR: [youtube:truncated_id] dQw4w9: Incomplete YouTube ID dQw4w9. URL https://www.youtube.com/"
        "watch?v=dQw4w9 looks truncated.",
        "extractor/youtube/_mistakes.py",
        "invalid_url",
        False,
    ),
    (
        "ERROR: [generic] 404: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError "
        "404: Not Found>)",
        "common.py _request_webpage errnote + networking HTTPError",
        "not_found",
        False,
    ),
    (
        "ERROR: [generic] 503: Unable to download webpage: HTTP Error 503: Service Unavailable (caused by "
        "<HTTPError 503: Service Unavailable>)",
        "common.py _request_webpage errnote + networking HTTPError",
        "server_error",
        True,
    ),
    (
        "ERROR: [youtube] x: Unable to download API page: HTTP Error 429: Too Many Requests",
        "common.py _request_webpage errnote + networking HTTPError",
        "rate_limited",
        True,
    ),
    (
        "ERROR: [generic] hang: Unable to download webpage: HTTPConnectionPool(host='127.0.0.1', port=1): "
        "Read timed out. (read timeout=1.0) (caused by TransportError(...))",
        "networking/_requests.py (requests installed)",
        "timeout",
        True,
    ),
    (
        "ERROR: [generic] hang: Unable to download webpage: timed out "
        "(caused by TransportError('timed out'))",
        "networking/_urllib.py (no requests, as on Lambda)",
        "timeout",
        True,
    ),
    (
        "ERROR: [generic] 1: Unable to download webpage: [Errno 111] Connection refused (caused by "
        "TransportError('[Errno 111] Connection refused'))",
        "networking/_urllib.py",
        "network",
        True,
    ),
    (
        "ERROR: [generic] x: Unable to download webpage: "
        "<urlopen error [Errno -2] Name or service not known>",
        "networking/_urllib.py, DNS failure",
        "network",
        True,
    ),
]


@pytest.mark.parametrize(("message", "source", "code", "retryable"), MESSAGES, ids=[m[2] for m in MESSAGES])
def test_yt_dlp_messages_get_their_code_and_retry_policy(
    message: str, source: str, code: str, retryable: bool
):
    failure = classify_extraction_error(message)

    assert (failure.code, failure.retryable) == (code, retryable), source
    # A reason is one short readable sentence, never yt-dlp's text with its hints and URLs.
    assert failure.reason.endswith("."), failure.reason
    assert "\n" not in failure.reason
    for noise in ("ERROR", "Traceback", "caused by", "--cookies", "http"):
        assert noise not in failure.reason


def test_each_refusal_has_its_own_reason():
    refusal_codes = {
        "bot_check", "rate_limited", "client_refused", "age_restricted", "private", "members_only",
        "geo_blocked", "not_started", "account_terminated", "sign_in_required", "removed", "unavailable",
    }  # fmt: skip
    reasons = {
        classify_extraction_error(m).code: classify_extraction_error(m).reason
        for m, _, code, _ in MESSAGES
        if code in refusal_codes
    }

    assert set(reasons) == refusal_codes
    assert len(set(reasons.values())) == len(refusal_codes)


def test_http_status_from_the_exception_wins_over_the_wording():
    assert classify_extraction_error("Unable to download webpage", 503).retryable is True
    assert classify_extraction_error("Unable to download webpage", 410).code == "not_found"
    assert classify_extraction_error("Unable to download webpage", 403).code == "forbidden"
    assert classify_extraction_error("Unable to download webpage", 418).code == "http_error"


def test_a_network_exception_is_transient_whatever_the_library_calls_it():
    failure = classify_extraction_error("Unable to download webpage: EOF occurred", network_error=True)

    assert (failure.code, failure.retryable) == ("network", True)


def test_an_unknown_error_keeps_yt_dlps_words_without_noise_or_secrets():
    message = (
        "ERROR: [youtube] dQw4w9WgXcQ: Failed to parse JSON from "
        "https://www.googleapis.com/youtube/v3/videos?part=snippet&key=AIzaSySECRET123&id=dQw4w9WgXcQ "
        "(caused by JSONDecodeError('Expecting value')); please report this issue on  "
        "https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template."
    )

    failure = classify_extraction_error(message)

    assert failure.code == "extraction_failed"
    assert failure.retryable is False
    assert failure.reason == (
        "Extraction failed: Failed to parse JSON from "
        "https://www.googleapis.com/youtube/v3/videos?part=snippet&id=dQw4w9WgXcQ"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://x.test/v?key=SECRET", "see https://x.test/v"),
        ("https://x.test/v?a=1&key=SECRET&b=2 done", "https://x.test/v?a=1&b=2 done"),
        ("https://x.test/v?API_KEY=SECRET#t=3", "https://x.test/v#t=3"),
        ("https://x.test/v?monkey=banana", "https://x.test/v?monkey=banana"),
        ("no url here key=value", "no url here key=value"),
    ],
)
def test_secrets_are_stripped_from_urls(text: str, expected: str):
    assert redact_secrets(text) == expected


def test_readable_message_is_one_bounded_line():
    long = "ERROR: [generic] x: " + "word " * 200 + "\nsecond line"

    text = readable_message(long)

    assert "\n" not in text
    assert len(text) <= 300
    assert text.startswith("word word")


def test_first_refusal_finds_a_refusal_among_ordinary_warnings():
    warnings = [
        "[generic] Falling back on generic information extractor",
        "No video formats found!",
        f"[youtube] abc: Sign in to confirm you’re not a bot. {LOGIN_HINT}",
    ]

    refusal = first_refusal(warnings)

    assert refusal is not None
    assert refusal.code == "bot_check"
    assert first_refusal(warnings[:2]) is None


def test_the_exception_class_follows_the_retry_policy():
    transient = extraction_error(ExtractionFailure("Try later.", True, "timeout"))
    permanent = extraction_error(ExtractionFailure("Gone.", False, "not_found"))

    assert isinstance(transient, TransientExtractionError)
    assert isinstance(permanent, PermanentExtractionError)
    assert (permanent.reason, permanent.code, str(permanent)) == ("Gone.", "not_found", "Gone.")
    assert permanent.failure == ExtractionFailure("Gone.", False, "not_found")
