"""What a page, a feed or a client sends is stored only in a safe form (issue 11 §4)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from watcharr import limits
from watcharr.domain.text import clean_line, clean_text, http_url_or_none
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import FeedChecked, ItemFailed, TokenRotated, UserCreated


def media(**fields: object) -> MediaMetadata:
    return MediaMetadata.model_validate(
        {"media_key": "site:1", "type": "video", "title": "A title", "url": "https://example.com/v", **fields}
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m alert", "red alert"),  # colour (CSI) sequences, parameters and all
        ("\x1b]0;owned\x07Title", "Title"),  # OSC: would retitle the terminal
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 hyperlink, ST-terminated
        ("\x9b2JClear", "Clear"),  # the C1 form of CSI
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a right-to-left override
        ("\u2066isolate\u2069 \u200fmark", "isolate mark"),
        ("nul\x00byte\x7fdel\x85next", "nulbytedel next"),
        ("two\nlines\r\n\tand a tab\u2028sep", "two lines and a tab sep"),
        ("👩‍👩‍👧 family", "👩‍👩‍👧 family"),  # a zero-width joiner is not a control: emoji survive
    ],
)
def test_control_characters_never_reach_a_stored_title(raw: str, shown: str) -> None:
    assert clean_line(raw, limits.MAX_TITLE_LENGTH) == shown
    assert media(title=raw).title == shown


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f"
LINE_BREAKS = "\n\r\u2028\u2029\x85"
# Every code point, without the two that open an escape sequence (removed with what follows them).
EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if c not in (0x1B, 0x9B))


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def _kept(text: str, line_break: str, tab: str) -> str:
    # The rule, spelled out one character at a time from Unicode's own categories.
    kept = []
    for char in text:
        if char in LINE_BREAKS:
            kept.append(line_break)
        elif char == "\t":
            kept.append(tab)
        elif not _is_control(char):
            kept.append(char)
    return "".join(kept)


def test_every_code_point_is_kept_dropped_or_made_a_break_by_its_unicode_category() -> None:
    limit = 2 * len(EVERY_CHARACTER)
    assert clean_line(EVERY_CHARACTER, limit) == " ".join(_kept(EVERY_CHARACTER, " ", " ").split())
    assert clean_text(EVERY_CHARACTER, limit) == _kept(EVERY_CHARACTER, "\n", "\t").strip()


# Text made mostly of the characters the rule treats apart, so that they meet each other ("\r\x00\n").
SPECIAL = st.sampled_from([*LINE_BREAKS, "\t", " ", "\x00", "\x0b", "\x1c", "\x7f", "\x9f", *BIDI_CONTROLS])
MIXED_TEXT = st.lists(st.one_of(SPECIAL, st.characters(blacklist_characters="\x1b\x9b"))).map("".join)


@settings(max_examples=1000)
@given(MIXED_TEXT)
def test_any_text_is_cleaned_as_the_rule_says_character_by_character(text: str) -> None:
    assert clean_line(text, 10_000) == " ".join(_kept(text, " ", " ").split())
    assert clean_text(text, 10_000) == _kept(text.replace("\r\n", "\n"), "\n", "\t").strip()


def test_a_url_is_refused_for_exactly_the_whitespace_and_controls_it_holds() -> None:
    refused = {c for c in map(chr, range(0x110000)) if c.isspace() or _is_control(c)}
    for char in sorted(refused | set(map(chr, range(0x3100)))):
        kept = http_url_or_none(f"https://example.com/a{char}b")
        assert (kept is None) == (char in refused), f"U+{ord(char):04X}"


def test_descriptions_keep_their_lines_but_lose_controls_and_are_capped() -> None:
    assert clean_text("one\r\ntwo\x1b[1m\tbold\x00", 100) == "one\ntwo\tbold"
    long = media(description="x" * 50_000).description
    assert long is not None and len(long) == limits.MAX_DESCRIPTION_LENGTH and long.endswith("…")
    assert media(description="\x1b[2J\x00").description is None


def test_titles_and_channel_names_are_capped() -> None:
    stored = media(title="t" * 5000, channel={"id": "c", "type": "video", "name": "n" * 5000})
    assert len(stored.title) == limits.MAX_TITLE_LENGTH
    assert stored.channel is not None and stored.channel.name is not None
    assert len(stored.channel.name) == limits.MAX_TITLE_LENGTH


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//example.com/relative.jpg",
        "/thumbs/1.jpg",
        "http://",
        "https://exa mple.com/x.jpg",
        "https://example.com/\x00.jpg",
        "http://[::1",
    ],
)
def test_page_given_urls_are_kept_only_when_http_or_https(url: str) -> None:
    assert http_url_or_none(url) is None
    stored = media(thumbnail_url=url, channel={"id": "c", "type": "video", "url": url, "thumbnail_url": url})
    assert stored.thumbnail_url is None
    assert stored.channel == ChannelInfo(id="c", type="video")


def test_http_urls_are_kept_as_they_are() -> None:
    assert (
        media(thumbnail_url=" HTTPS://img.example.com/a.jpg ").thumbnail_url
        == "HTTPS://img.example.com/a.jpg"
    )
    assert (
        media(thumbnail_url="http://img.example.com/a.jpg?x=1").thumbnail_url
        == "http://img.example.com/a.jpg?x=1"
    )


def test_an_episode_link_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValidationError, match="http"):
        media(url="javascript:alert(document.cookie)")


def test_reasons_and_feed_errors_are_one_clean_capped_line() -> None:
    failed = ItemFailed(job_id="j", item_id="j-0000", reason="HTTP 500\x1b[2J\n" + "r" * 5000)
    assert failed.reason.startswith("HTTP 500 r") and len(failed.reason) == limits.MAX_REASON_LENGTH
    checked = FeedChecked(
        subscription_id="s", status="failed", error="bad\x00feed", title="\u202eShow", artwork_url="data:x"
    )
    assert (checked.error, checked.title, checked.artwork_url) == ("badfeed", "Show", None)


@pytest.mark.parametrize(
    "token_hash", ["", "abc", "g" * 64, "A" * 64, "a" * 63, "a" * 65, "a" * 63 + "\n", " " + "a" * 64]
)
def test_only_a_sha256_hex_digest_is_a_token_hash(token_hash: str) -> None:
    for message in (UserCreated, TokenRotated):
        with pytest.raises(ValidationError):
            message(username="alice", token_hash=token_hash)
    assert UserCreated(username="alice", token_hash="0f" * 32).token_hash == "0f" * 32
