"""A corpus of bad requests: every answer is a 4xx JSON body that says what was wrong, never a 5xx."""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.lambda_env import LambdaWorld, create_user, http_event
from watcharr import limits
from watcharr.local.context import LocalContext

VIDEO = "https://youtu.be/dQw4w9WgXcQ"
ONE = "/api/shortcuts/add-episode"
MANY = "/api/shortcuts/add-videos"
PODCASTS = "/api/podcasts"
EPISODE = "/api/episodes/1"
TAGS = "/api/tags"
CHANNELS = "/api/channels"
BLENDER = "https://www.youtube.com/channel/UCSMOQeBJ2RAnuFungnQOxLg"
OPML_IMPORT = "/api/podcasts/import"
TAKEOUT = "/api/import/takeout"
EXPORT = "/api/episodes/export"

# (method, path, query, raw body)
CORPUS: list[tuple[str, str, str, str | None]] = [
    ("POST", ONE, "", "{not json"),
    ("POST", ONE, "", ""),
    ("POST", ONE, "", "null"),
    ("POST", ONE, "", "[]"),
    ("POST", ONE, "", '"just a string"'),
    ("POST", ONE, "", "{}"),
    ("POST", ONE, "", json.dumps({"url": None})),
    ("POST", ONE, "", json.dumps({"url": 12})),
    ("POST", ONE, "", json.dumps({"url": ["a"]})),
    ("POST", ONE, "", json.dumps({"url": ""})),
    ("POST", ONE, "", json.dumps({"url": "   "})),
    ("POST", ONE, "", json.dumps({"url": "no link in this text at all"})),
    ("POST", ONE, "", json.dumps({"url": "ftp://example.com/video.mp4"})),
    ("POST", ONE, "", json.dumps({"url": "javascript:alert(1)"})),
    ("POST", ONE, "", json.dumps({"url": "file:///etc/passwd"})),
    ("POST", ONE, "", json.dumps({"url": "https://user:pw@example.com/v"})),
    ("POST", ONE, "", json.dumps({"url": "https://www.youtube.com/@channel"})),
    ("POST", ONE, "", json.dumps({"url": "https://www.youtube.com/watch?v=short"})),
    ("POST", ONE, "", json.dumps({"url": "https://exa\u0000mple.com/"})),
    ("POST", ONE, "", json.dumps({"url": "https://example.com/\u0007bell"})),
    ("POST", ONE, "", json.dumps({"url": "https://" + "a" * limits.MAX_URL_LENGTH + ".com/"})),
    ("POST", ONE, "", json.dumps({"url": "\ud800\udfff\u202e\ufeff"})),
    ("POST", ONE, "", json.dumps({"url": "💩💩💩 ☃ ℌ𝔢𝔩𝔩𝔬"})),
    ("POST", ONE, "", json.dumps({"url": VIDEO, "tag": "x" * (limits.MAX_TAG_LENGTH + 1)})),
    ("POST", ONE, "", json.dumps({"url": VIDEO, "tag": "bad\ntag"})),
    ("POST", ONE, "", json.dumps({"url": VIDEO, "tag": 5})),
    ("POST", ONE, "", json.dumps({"url": VIDEO, "extra": True})),
    ("POST", ONE, "wait=-1", json.dumps({"url": VIDEO})),
    ("POST", ONE, "wait=26", json.dumps({"url": VIDEO})),
    ("POST", ONE, "wait=ten", json.dumps({"url": VIDEO})),
    ("POST", ONE, "", json.dumps({"url": "x" * (limits.MAX_BODY_BYTES + 1)})),
    ("POST", MANY, "", "[]"),
    ("POST", MANY, "", "{}"),
    ("POST", MANY, "", json.dumps([42, {"nourl": VIDEO}, None, ["a"]])),
    ("POST", MANY, "", json.dumps(["not a link", "x" * (2 * limits.MAX_URL_LENGTH + 1)])),
    ("POST", MANY, "", json.dumps([{"url": VIDEO}] * (limits.MAX_URLS_PER_BATCH + 1))),
    ("POST", MANY, "", json.dumps([{"url": "not a link"}, {"url": "ftp://x"}])),
    ("POST", MANY, "", json.dumps([{"url": VIDEO, "tag": ["a"]}])),
    ("POST", MANY, "", json.dumps([{"link": VIDEO}])),
    ("POST", MANY, "", json.dumps([None])),
    ("POST", PODCASTS, "", json.dumps({})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "not a feed"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": -1})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": "some"})),
    ("DELETE", "/api/podcasts/not-an-id", "", None),
    ("DELETE", "/api/podcasts/0123456789abcdef0123", "", None),
    ("GET", "/api/jobs/not-a-job-id", "", None),
    ("GET", "/api/jobs/" + "0" * 32, "", None),
    ("GET", "/api/episodes", "limit=0", None),
    ("GET", "/api/episodes", "limit=100000", None),
    ("GET", "/api/episodes", "type=movie", None),
    ("GET", "/api/episodes", "watched=maybe", None),
    ("GET", "/api/episodes", "offset=-5", None),
    ("PUT", ONE, "", json.dumps({"url": VIDEO})),
    ("GET", "/api/../../etc/passwd", "", None),
    ("GET", "/api/nothing", "", None),
    # Bodies the decoder refuses before any route sees them
    ("POST", ONE, "", "[" * 5000 + "]" * 5000),
    ("POST", ONE, "", '{"url": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("POST", ONE, "", "[" * (limits.MAX_JSON_DEPTH + 1) + "]" * (limits.MAX_JSON_DEPTH + 1)),
    ("POST", MANY, "", "[" * 900 + "]" * 900),
    ("POST", ONE, "", '{"url": ' + "1" * 5000 + "}"),
    ("POST", ONE, "", '{"url": "https://youtu.be/dQw4w9WgXcQ", "tag": ' + "9" * 4301 + "}"),
    ("POST", ONE, "", '{"url": "https://youtu.be/dQw4w9WgXcQ", "extra": [' + "-" + "7" * 10_000 + "]}"),
    ("POST", MANY, "", '[{"url": ' + "2" * 4400 + "}]"),
    ("POST", PODCASTS, "", '{"feedUrl": "https://example.com/f.xml", "backfill": ' + "3" * 4400 + "}"),
    ("POST", ONE, "", "   "),
    ("POST", ONE, "", '{"url": "https://youtu.be/dQw4w9WgXcQ",}'),
    ("POST", ONE, "", "\ud800"),
    # Feed URLs are validated as add-episode validates links, and never stored when refused
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://[::1"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "http://a:99999/"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "http://a:0/feed.xml"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://exa\u0000mple.com/feed.xml"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/a\u2028b.xml"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/\u202egnp.xml"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "http://exa mple.com/"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://user:pw@example.com/feed.xml"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "javascript:alert(1)"})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": True})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": 2.5})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": None})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": 10_001})),
    ("POST", PODCASTS, "", json.dumps({"feedUrl": "https://example.com/f.xml", "backfill": "ALL"})),
    # Changes to episodes: the body is checked before the episode is looked up
    ("PATCH", EPISODE, "", "{}"),
    ("PATCH", EPISODE, "", "[]"),
    ("PATCH", EPISODE, "", "null"),
    ("PATCH", EPISODE, "", json.dumps({"watched": "yes"})),
    ("PATCH", EPISODE, "", json.dumps({"watched": 1})),
    ("PATCH", EPISODE, "", json.dumps({"watched": None})),
    ("PATCH", EPISODE, "", json.dumps({"watchStatus": "done"})),
    ("PATCH", EPISODE, "", json.dumps({"watched": True, "watchStatus": "unwatched"})),
    ("PATCH", EPISODE, "", json.dumps({"favorite": "true"})),
    ("PATCH", EPISODE, "", json.dumps({"priority": "urgent"})),
    ("PATCH", EPISODE, "", json.dumps({"likeStatus": "love"})),
    ("PATCH", EPISODE, "", json.dumps({"notes": "x" * (limits.MAX_NOTES_LENGTH + 1)})),
    ("PATCH", EPISODE, "", json.dumps({"notes": 5})),
    ("PATCH", EPISODE, "", json.dumps({"isArchived": None})),
    ("PATCH", EPISODE, "", json.dumps({"tagIds": "1"})),
    ("PATCH", EPISODE, "", json.dumps({"tagIds": [1.5]})),
    ("PATCH", EPISODE, "", json.dumps({"tagIds": ["a"]})),
    ("PATCH", EPISODE, "", json.dumps({"tagIds": list(range(limits.MAX_TAGS_PER_EPISODE + 1))})),
    ("PATCH", EPISODE, "", json.dumps({"colour": "red"})),
    ("PATCH", EPISODE, "", json.dumps({"favorite": True})),
    ("PATCH", EPISODE, "wait=26", json.dumps({"favorite": True})),
    ("PATCH", "/api/episodes/abc", "", json.dumps({"favorite": True})),
    ("PATCH", "/api/episodes/0", "", json.dumps({"favorite": True})),
    ("PATCH", "/api/episodes/" + "9" * 30, "", json.dumps({"favorite": True})),
    ("GET", EPISODE, "", None),
    ("GET", "/api/episodes/-1", "", None),
    ("DELETE", EPISODE, "", None),
    ("DELETE", EPISODE, "permanent=maybe", None),
    ("DELETE", EPISODE, "forever=true", None),
    ("POST", EPISODE + "/restore", "", None),
    ("POST", "/api/episodes/archive-watched", "wait=-1", None),
    ("POST", "/api/episodes/restore-all", "all=true", None),
    ("GET", "/api/episodes", "colour=red", None),
    ("GET", "/api/episodes", "sort=random", None),
    ("GET", "/api/episodes", "watchStatus=done", None),
    ("GET", "/api/episodes", "watch_status=watched", None),
    ("GET", "/api/episodes", "priority=urgent", None),
    ("GET", "/api/episodes", "deleted=maybe", None),
    ("GET", "/api/episodes", "search=" + "x" * (limits.MAX_SEARCH_LENGTH + 1), None),
    # Tags and commands
    ("GET", TAGS, "sort=name", None),
    ("POST", TAGS, "", "{}"),
    ("POST", TAGS, "", json.dumps({"name": ""})),
    ("POST", TAGS, "", json.dumps({"name": "   "})),
    ("POST", TAGS, "", json.dumps({"name": "x" * (limits.MAX_TAG_LENGTH + 1)})),
    ("POST", TAGS, "", json.dumps({"name": "bad\ntag"})),
    ("POST", TAGS, "", json.dumps({"name": 5})),
    ("POST", TAGS, "", json.dumps({"name": "music", "color": "red"})),
    ("POST", TAGS, "", json.dumps({"name": "music", "colour": "#ff0000"})),
    ("PATCH", TAGS + "/1", "", "{}"),
    ("PATCH", TAGS + "/1", "", json.dumps({"color": "#12345"})),
    ("PATCH", TAGS + "/1", "", json.dumps({"name": "renamed"})),
    ("PATCH", TAGS + "/x", "", json.dumps({"name": "renamed"})),
    ("DELETE", TAGS + "/1", "", None),
    ("DELETE", TAGS + "/0", "", None),
    ("GET", "/api/commands/not-a-command", "", None),
    ("GET", "/api/commands/" + "0" * 32, "", None),
    # Jobs and the rest
    ("GET", "/api/jobs", "limit=0", None),
    ("GET", "/api/jobs", "limit=101", None),
    ("GET", "/api/jobs", "state=failed", None),
    ("POST", "/api/jobs/" + "0" * 32 + "/retry", "", None),
    ("POST", "/api/jobs/not-a-job/retry", "", None),
    ("GET", PODCASTS, "all=1", None),
    ("POST", ONE, "wiat=5", json.dumps({"url": VIDEO})),
    # Channel links are refused before anything is looked up: nothing fetched, nothing stored
    ("POST", CHANNELS, "", json.dumps({})),
    ("POST", CHANNELS, "", json.dumps({"url": "not a link"})),
    ("POST", CHANNELS, "", json.dumps({"url": VIDEO})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://example.com/@someone"})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://www.youtube.com/channel/UCshort"})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ"})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://www.youtube.com/feeds/videos.xml"})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://user:pw@www.youtube.com/@someone"})),
    ("POST", CHANNELS, "", json.dumps({"url": "@x"})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "backfill": 16})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "backfill": -1})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "backfill": "all"})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "backfill": True})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "backfill": 2.5})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "includeShorts": "yes"})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "shorts": False})),
    ("POST", CHANNELS, "", json.dumps({"url": BLENDER, "tag": "x" * (limits.MAX_TAG_LENGTH + 1)})),
    ("POST", CHANNELS, "", json.dumps({"url": "https://www.youtube.com/@" + "a" * limits.MAX_URL_LENGTH})),
    ("DELETE", "/api/channels/not-an-id", "", None),
    ("DELETE", "/api/channels/0123456789abcdef0123", "", None),
    # The file routes refuse JSON (labelled application/json here) and bad query values.
    ("POST", OPML_IMPORT, "", json.dumps({"feedUrl": "https://feeds.example.org/x.xml"})),
    ("POST", OPML_IMPORT, "backfill=-1", "<opml/>"),
    ("POST", OPML_IMPORT, "tag=" + "x" * (limits.MAX_TAG_LENGTH + 1), "<opml/>"),
    ("POST", TAKEOUT, "", "{}"),
    ("POST", TAKEOUT, "history=maybe", None),
    ("POST", TAKEOUT, "wipe=true", None),
    ("GET", EXPORT, "format=xlsx", None),
    ("GET", EXPORT, "format=", None),
    ("GET", EXPORT, "since=yesterday", None),
]

Event = dict[str, Any]


def _raw(data: bytes, **headers: str | None) -> Callable[[Event], Event]:
    """A body of raw bytes, base64-encoded as API Gateway hands over a body it cannot pass as text."""

    def change(event: Event) -> Event:
        event["headers"].update({k.replace("_", "-"): v for k, v in headers.items()})
        event["headers"] = {k: v for k, v in event["headers"].items() if v is not None}
        return {**event, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}

    return change


def _set(**fields: Any) -> Callable[[Event], Event]:
    return lambda event: {**event, **fields}


def _labelled(content_type: str, **fields: Any) -> Callable[[Event], Event]:
    return lambda event: {**event, **fields, "headers": {**event["headers"], "content-type": content_type}}


def _header(name: str, value: Any) -> Callable[[Event], Event]:
    return lambda event: {**event, "headers": {**event["headers"], name: value}}


def _without(name: str) -> Callable[[Event], Event]:
    return lambda event: {k: v for k, v in event.items() if k != name}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PLAYLISTS = "Takeout/YouTube and YouTube Music/playlists"
OPML_TYPE = "text/x-opml"
ZIP_TYPE = "application/zip"
ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;">]><opml><body><outline text="&c;" xmlUrl="https://x.org/&c;"/></body></opml>'
)
# 1 MiB of one byte deflates to about 1 KiB: a ratio far past what a real playlist CSV has.
ZIP_BOMB = _zip({f"{PLAYLISTS}/Bomb-videos.csv": b"Video ID,Time\n" + b"a" * (1024 * 1024)})
ONLY_MALFORMED_ROWS = _zip({f"{PLAYLISTS}/Watch later-videos.csv": b"Video ID,Time\nnot-an-id,x\n,\n"})
INVALID_UTF8 = b'{"url": "\xff\xfe\xfd"}'
GOOD = json.dumps({"url": VIDEO}).encode()

# (what, method, path, change to a well-formed event carrying GOOD, expected status)
EVENTS: list[tuple[str, str, str, Callable[[Event], Event], int]] = [
    ("invalid UTF-8", "POST", ONE, _raw(INVALID_UTF8), 400),
    (
        "invalid UTF-8 as octet-stream",
        "POST",
        ONE,
        _raw(INVALID_UTF8, content_type="application/octet-stream"),
        400,
    ),
    ("invalid UTF-8 without a content type", "POST", ONE, _raw(INVALID_UTF8, content_type=None), 400),
    ("invalid UTF-8, gzip", "POST", ONE, _raw(INVALID_UTF8, content_encoding="gzip"), 415),
    ("valid JSON, gzip", "POST", ONE, _raw(gzip.compress(GOOD), content_encoding="gzip"), 415),
    ("valid JSON, deflate", "POST", MANY, _raw(GOOD, content_encoding="deflate"), 415),
    (
        "UTF-16 body",
        "POST",
        ONE,
        _raw(GOOD.decode().encode("utf-16"), content_type="application/json; charset=utf-16"),
        415,
    ),
    (
        "UTF-8 body labelled UTF-16",
        "POST",
        ONE,
        _header("content-type", "application/json; charset=UTF-16"),
        415,
    ),
    (
        "invalid UTF-8 labelled latin-1",
        "POST",
        PODCASTS,
        _raw(INVALID_UTF8, content_type="text/plain; charset=latin-1"),
        415,
    ),
    ("lone surrogate in a text body", "POST", ONE, _set(body='{"url": "\udcff"}'), 400),
    ("not base64", "POST", ONE, _set(body="this is not base64!", isBase64Encoded=True), 400),
    ("base64 with a bad length", "POST", MANY, _set(body="abc", isBase64Encoded=True), 400),
    (
        "oversized base64",
        "POST",
        ONE,
        _set(body="A" * (limits.MAX_BODY_BYTES * 2), isBase64Encoded=True),
        413,
    ),
    ("Content-Type: json, bad JSON", "POST", ONE, _raw(b"{not json", content_type="json"), 400),
    ("Content-Type: json, bad link", "POST", ONE, _raw(b'{"url": "no link"}', content_type="json"), 422),
    ("None content type", "POST", ONE, _header("content-type", None), 400),
    (
        "text/plain, no body",
        "POST",
        ONE,
        lambda e: _without("body")(_header("content-type", "text/plain")(e)),
        422,
    ),
    (
        "text/plain, empty body",
        "POST",
        MANY,
        lambda e: _set(body="")(_header("content-type", "text/plain")(e)),
        422,
    ),
    (
        "multipart, no body",
        "POST",
        PODCASTS,
        lambda e: _without("body")(_header("content-type", "multipart/form-data; boundary=x")(e)),
        422,
    ),
    (
        "multipart form",
        "POST",
        ONE,
        _raw(b"--x\r\n\r\nurl\r\n--x--", content_type="multipart/form-data; boundary=x"),
        400,
    ),
    ("numeric token header", "POST", ONE, _header("x-api-token", 12345), 400),
    ("list token header", "GET", "/api/podcasts", _header("x-api-token", ["a", "b"]), 400),
    ("headers not a map", "GET", "/api/episodes", _set(headers=["x-api-token"]), 400),
    ("None query value", "POST", ONE, _set(queryStringParameters={"wait": None}), 400),
    ("numeric query value", "GET", "/api/episodes", _set(queryStringParameters={"limit": 5}), 400),
    ("no requestContext", "POST", ONE, _without("requestContext"), 400),
    ("event is not a map", "POST", ONE, lambda event: None, 400),
    ("empty event", "GET", "/api/episodes", lambda event: {}, 400),
    ("requestContext without http", "GET", "/api/episodes", _set(requestContext={"requestId": "x"}), 400),
    ("no rawPath", "GET", "/api/episodes", _without("rawPath"), 400),
    ("dict body", "POST", ONE, _set(body={"url": VIDEO}), 400),
    ("list body", "POST", MANY, _set(body=[{"url": VIDEO}]), 400),
    ("path outside /api", "GET", "/index.php", lambda event: event, 404),
    ("another path outside /api", "POST", "/shortcuts/add-episode", lambda event: event, 404),
    ("favicon", "GET", "/favicon.ico", lambda event: event, 404),
    ("OPML not well-formed", "POST", OPML_IMPORT, _raw(b"<opml><body><outline", content_type=OPML_TYPE), 422),
    ("OPML entity expansion", "POST", OPML_IMPORT, _raw(ENTITY_BOMB, content_type="text/xml"), 422),
    ("OPML that is RSS", "POST", OPML_IMPORT, _raw(b"<rss><channel/></rss>", content_type=OPML_TYPE), 422),
    (
        "OPML without a body element",
        "POST",
        OPML_IMPORT,
        _raw(b"<opml><head/></opml>", content_type=OPML_TYPE),
        422,
    ),
    ("OPML unlabelled", "POST", OPML_IMPORT, _raw(b"<opml><body/></opml>", content_type=None), 415),
    (
        "OPML as text/plain",
        "POST",
        OPML_IMPORT,
        _raw(b"<opml><body/></opml>", content_type="text/plain"),
        415,
    ),
    (
        "OPML gzipped",
        "POST",
        OPML_IMPORT,
        _raw(gzip.compress(b"<opml/>"), content_type=OPML_TYPE, content_encoding="gzip"),
        415,
    ),
    (
        "OPML huge",
        "POST",
        OPML_IMPORT,
        _raw(b"<opml>" + b" " * (2 * 1024 * 1024) + b"</opml>", content_type=OPML_TYPE),
        413,
    ),
    ("OPML empty", "POST", OPML_IMPORT, _labelled(OPML_TYPE, body=""), 400),
    ("Takeout not a zip", "POST", TAKEOUT, _raw(b"this is not a zip at all", content_type=ZIP_TYPE), 422),
    ("Takeout zip bomb", "POST", TAKEOUT, _raw(ZIP_BOMB, content_type=ZIP_TYPE), 422),
    ("Takeout only malformed rows", "POST", TAKEOUT, _raw(ONLY_MALFORMED_ROWS, content_type=ZIP_TYPE), 422),
    ("Takeout empty zip", "POST", TAKEOUT, _raw(_zip({}), content_type=ZIP_TYPE), 422),
    (
        "Takeout as octet-stream",
        "POST",
        TAKEOUT,
        _raw(_zip({}), content_type="application/octet-stream"),
        415,
    ),
    (
        "Takeout huge",
        "POST",
        TAKEOUT,
        _raw(b"PK" + bytes(limits.MAX_TAKEOUT_UPLOAD_BYTES), content_type=ZIP_TYPE),
        413,
    ),
    ("Takeout bad base64", "POST", TAKEOUT, _labelled(ZIP_TYPE, body="%%%", isBase64Encoded=True), 400),
]


# Words that mean a parser's or pydantic's message reached the caller instead of a sentence.
INTERNALS = (
    "Traceback",
    "JSON decode error",
    "should match pattern",
    "literal[",
    "Value error,",
    "int_parsing",
)


def assert_plain_refusal(status: int, body: dict[str, Any]) -> None:
    assert 400 <= status < 500, (status, body)
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert not any(word in body["error"] for word in INTERNALS), body["error"]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) + len(EVENTS) >= 110


@pytest.mark.parametrize(
    ("method", "path", "query", "raw"), CORPUS, ids=[f"{i:02d}" for i in range(len(CORPUS))]
)
def test_bad_request_gets_a_4xx_json_reason(
    lambda_world: LambdaWorld, method: str, path: str, query: str, raw: str | None
) -> None:
    token = create_user(lambda_world, "alice")
    status, body = lambda_world.call_api(method, path, raw_body=raw, token=token, query=query)
    assert_plain_refusal(status, body)
    # Nothing was queued (or stored) for a request that was refused.
    assert lambda_world.queue_depth("ExtractQueue") == 0
    assert lambda_world.queue_depth("ResultsQueue") == 0


@pytest.mark.parametrize(
    ("what", "method", "path", "change", "expected"), EVENTS, ids=[case[0] for case in EVENTS]
)
def test_bad_event_gets_a_4xx_json_reason(
    lambda_world: LambdaWorld,
    what: str,
    method: str,
    path: str,
    change: Callable[[Event], Event],
    expected: int,
) -> None:
    token = create_user(lambda_world, "alice")
    event = change(http_event(method, path, raw_body=GOOD.decode(), token=token))
    answer = lambda_world.function("api").handler(event, LocalContext("ApiFunction"))
    assert answer["headers"]["Content-Type"] == "application/json"
    body = json.loads(answer["body"])
    assert_plain_refusal(answer["statusCode"], body)
    assert answer["statusCode"] == expected, (what, body)
    assert lambda_world.queue_depth("ExtractQueue") == 0
    assert lambda_world.queue_depth("ResultsQueue") == 0


@pytest.mark.parametrize(
    ("method", "path", "raw", "status", "error"),
    [
        ("POST", ONE, '{"url": ', 400, "the body is not valid JSON: expecting value at character 9"),
        (
            "POST",
            ONE,
            "[" * 5000 + "]" * 5000,
            400,
            f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep",
        ),
        ("POST", ONE, '{"url": ' + "1" * 4301 + "}", 422, "a number in the body has too many digits"),
        (
            "POST",
            PODCASTS,
            '{"feedUrl": "https://e.com/f.xml", "backfill": "some"}',
            422,
            'backfill must be a number from 0 to 10000, or "all"',
        ),
        (
            "POST",
            PODCASTS,
            '{"feedUrl": "https://e.com/f.xml", "backfill": true}',
            422,
            'backfill must be a number from 0 to 10000, or "all"',
        ),
        (
            "POST",
            PODCASTS,
            '{"feedUrl": "http://exa mple.com/"}',
            422,
            '"http://exa mple.com/" has a space in it; send the feed\'s URL on its own',
        ),
        ("DELETE", "/api/podcasts/not-an-id", None, 404, "no such subscription"),
        (
            "POST",
            CHANNELS,
            json.dumps({"url": BLENDER, "backfill": 16}),
            422,
            "backfill must be a number from 0 to 15 (a channel's feed lists its 15 newest uploads)",
        ),
        (
            "POST",
            CHANNELS,
            json.dumps({"url": VIDEO}),
            422,
            f"{VIDEO} is a video, not a channel; share the channel's link to follow it",
        ),
        ("DELETE", "/api/channels/not-an-id", None, 404, "no such subscription"),
        ("GET", "/api/jobs/not-a-job", None, 404, "no such job"),
        ("GET", "/api/episodes?type=movie", None, 422, "type must be 'video' or 'podcast'"),
        ("POST", ONE, "{}", 422, "url is required"),
        ("POST", ONE, '{"url": 5}', 422, "url must be text"),
        (
            "POST",
            ONE,
            json.dumps({"url": VIDEO, "colour": "red"}),
            422,
            "colour is not a field this API knows",
        ),
        (
            "PATCH",
            EPISODE,
            json.dumps({"notes": "x" * 1001}),
            422,
            "notes must be at most 1000 characters",
        ),
        ("PATCH", EPISODE, "{}", 422, "send at least one field to change"),
        ("PATCH", EPISODE, json.dumps({"favorite": True}), 404, "no such episode"),
        ("PATCH", "/api/episodes/abc", json.dumps({"favorite": True}), 404, "no such episode"),
        ("POST", TAGS, json.dumps({"name": "a", "color": "red"}), 422, "color must be a colour like #ff8800"),
        ("DELETE", TAGS + "/7", None, 404, "no such tag"),
        (
            "GET",
            "/api/jobs?state=failed",
            None,
            422,
            "unknown query parameter state (this route takes: limit, offset)",
        ),
        ("GET", "/elsewhere", None, 404, "no route GET /elsewhere; the API lives under /api/"),
    ],
)
def test_errors_are_sentences(
    lambda_world: LambdaWorld, method: str, path: str, raw: str | None, status: int, error: str
) -> None:
    token = create_user(lambda_world, "alice")
    path, _, query = path.partition("?")
    answer = lambda_world.call_api(method, path, raw_body=raw, token=token, query=query)
    assert answer == (status, {"success": False, "error": error})
