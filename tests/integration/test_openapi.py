"""The OpenAPI document: served by the API, committed under docs/, and the two never drift apart."""

from __future__ import annotations

import json

from tests.support.lambda_env import LambdaWorld
from watcharr.local.functions import REPO_ROOT, load_function

COMMITTED = REPO_ROOT / "docs" / "openapi.json"


def test_committed_copy_matches_the_code() -> None:
    generated = json.loads(load_function("api").openapi_json())
    committed = json.loads(COMMITTED.read_text())
    assert committed == generated, "docs/openapi.json is out of date: run `make openapi` and commit it"


def test_document_lists_every_route() -> None:
    paths = json.loads(COMMITTED.read_text())["paths"]
    assert set(paths) >= {
        "/api/shortcuts/add-episode",
        "/api/shortcuts/add-videos",
        "/api/jobs/{job_id}",
        "/api/episodes",
        "/api/podcasts",
        "/api/podcasts/{subscription_id}",
        "/api/episodes/{episode_id}",
        "/api/episodes/{episode_id}/restore",
        "/api/episodes/archive-watched",
        "/api/episodes/restore-all",
        "/api/tags",
        "/api/tags/{tag_id}",
        "/api/commands/{command_id}",
        "/api/jobs",
        "/api/jobs/{job_id}/retry",
    }
    assert set(paths["/api/episodes/{episode_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/tags/{tag_id}"]) == {"patch", "delete"}


def test_the_file_uploads_document_their_body_as_bytes_of_the_types_they_accept() -> None:
    paths = json.loads(COMMITTED.read_text())["paths"]
    takeout = paths["/api/import/takeout"]["post"]["requestBody"]
    opml = paths["/api/podcasts/import"]["post"]["requestBody"]
    assert set(takeout["content"]) == {"application/zip", "application/x-zip-compressed"}
    assert set(opml["content"]) == {"text/x-opml", "application/xml", "text/xml"}
    for body in (takeout, opml):
        assert body["required"] is True
        assert {media["schema"]["format"] for media in body["content"].values()} == {"binary"}


def test_served_at_api_openapi_json_and_docs_page(lambda_world: LambdaWorld) -> None:
    status, served = lambda_world.call_api("GET", "/api/openapi.json")
    assert status == 200 and served == json.loads(COMMITTED.read_text())
    status, page = lambda_world.call_api("GET", "/api/docs")
    assert status == 200 and "swagger" in page["raw"].lower()
