"""A corpus of bad requests: every answer is a 4xx JSON body that says what was wrong, never a 5xx."""

from __future__ import annotations

import json

import pytest

from tests.support.lambda_env import LambdaWorld, create_user
from watcharr import limits

VIDEO = "https://youtu.be/dQw4w9WgXcQ"
ONE = "/api/shortcuts/add-episode"
MANY = "/api/shortcuts/add-videos"
PODCASTS = "/api/podcasts"

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
    ("POST", MANY, "", json.dumps([VIDEO])),
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
]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize(
    ("method", "path", "query", "raw"), CORPUS, ids=[f"{i:02d}" for i in range(len(CORPUS))]
)
def test_bad_request_gets_a_4xx_json_reason(
    lambda_world: LambdaWorld, method: str, path: str, query: str, raw: str | None
) -> None:
    token = create_user(lambda_world, "alice")
    status, body = lambda_world.call_api(method, path, raw_body=raw, token=token, query=query)
    assert 400 <= status < 500, (status, body)
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]
    # Nothing was queued for a request that was refused.
    assert lambda_world.queue_depth("ExtractQueue") == 0
