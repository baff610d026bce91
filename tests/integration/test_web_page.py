"""The web page's files through the ApiFunction's handler, as API Gateway delivers `/` and `/app/*`."""

from __future__ import annotations

from typing import Any

from tests.support.lambda_env import LambdaWorld, http_event
from watcharr.local.context import LocalContext
from watcharr.web.assets import matches


def get(world: LambdaWorld, path: str, **kwargs: Any) -> dict[str, Any]:
    return world.function("api").handler(http_event("GET", path, **kwargs), LocalContext("ApiFunction"))


def test_the_page_is_answered_without_a_token_with_its_security_headers(lambda_world: LambdaWorld) -> None:
    answer = get(lambda_world, "/")

    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/app/main.js">' in answer["body"]
    csp = answer["headers"]["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert answer["headers"]["Referrer-Policy"] == "no-referrer"
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"
    assert answer["headers"]["Cache-Control"] == "no-cache"


def test_an_asset_is_cached_and_revalidated_with_its_etag(lambda_world: LambdaWorld) -> None:
    first = get(lambda_world, "/app/list.js")
    etag = first["headers"]["ETag"]

    again = get(lambda_world, "/app/list.js", headers={"if-none-match": f'W/"other", {etag}'})

    assert first["statusCode"] == 200 and "export async function reload" in first["body"]
    assert first["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert first["headers"]["Cache-Control"].startswith("public, max-age=")
    assert (again["statusCode"], again["body"]) == (304, "")
    assert again["headers"]["ETag"] == etag


def test_a_file_that_is_not_there_is_a_json_404(lambda_world: LambdaWorld) -> None:
    status, body = lambda_world.call_api("GET", "/app/secrets.py")

    assert status == 404
    assert body == {"success": False, "error": "no such file: secrets.py"}


def test_only_the_page_paths_are_open(lambda_world: LambdaWorld) -> None:
    # Near misses of the page's paths are not the page: outside /api no route, inside it a token.
    for path, expected in (("/apple", 404), ("/application", 404), ("/api/episodes", 401)):
        status, body = lambda_world.call_api("GET", path)
        assert status == expected, path
        assert body["success"] is False


def test_if_none_match_understands_lists_weak_tags_and_star() -> None:
    assert matches('"a", W/"b"', '"b"')
    assert matches("*", '"b"')
    assert not matches('"a"', '"b"')
    assert not matches(None, '"b"')
