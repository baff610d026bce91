"""Working through the list in the browser: watched, favourite, priority, tags, delete with undo, the bin.

These use the list-management routes of issue 13 (PATCH/DELETE /api/episodes/{id}, POST …/restore,
/api/tags) through the local stack, as a person would from the page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.browser import Watched
from tests.browser.conftest import list_filter, sign_in
from tests.browser.test_page import FEEDS, video
from tests.support.feed_server import FeedServer
from tests.support.origin import OriginServer
from tests.support.stack import StackProcess

pytestmark = pytest.mark.e2e

# The page asks for the list 24 episodes at a time; the feed below has more than that.
PAGE_SIZE = 24
FEED_ITEMS = 40
# The paging feed's artwork is on a CDN this machine (no internet) cannot reach.
OFFLINE_ARTWORK = r"^https://image\.simplecastcdn\.com/"


@pytest.fixture
def added(stack: StackProcess, origin: OriginServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """One freshly added video with a title of its own (the test's name), unwatched and not a favourite."""
    title = f"Manage {request.node.name}"
    status, answer = stack.request(
        "POST", "/api/shortcuts/add-episode?wait=20", {"url": video(origin, request.node.name, title)}
    )
    assert status == 200 and answer["status"] == "added", answer
    yield title


def card(page: Page, title: str) -> Locator:
    return page.locator("#episodes .episode").filter(has=page.locator(".title", has_text=title))


def test_marking_watched_takes_it_off_the_unwatched_list(
    watched: Watched, stack: StackProcess, added: str
) -> None:
    page = watched.page
    sign_in(page, stack)
    expect(list_filter(page, "Watched")).to_have_value("false")
    expect(card(page, added)).to_have_count(1)

    card(page, added).get_by_role("button", name="Mark watched").click()

    expect(card(page, added)).to_have_count(0)
    list_filter(page, "Watched").select_option("true")
    expect(card(page, added).get_by_role("button", name="Mark unwatched")).to_be_visible()
    _, listing = stack.request("GET", "/api/episodes?watched=true&limit=500")
    assert added in [e["title"] for e in listing["episodes"]]
    assert watched.unexpected_errors() == []


def test_delete_then_undo_puts_it_back(watched: Watched, stack: StackProcess, added: str) -> None:
    page = watched.page
    sign_in(page, stack)

    card(page, added).get_by_role("button", name="Delete").click()

    expect(card(page, added)).to_have_count(0)
    page.locator("#toast").get_by_role("button", name="Undo").click()
    expect(card(page, added)).to_have_count(1)
    _, listing = stack.request("GET", "/api/episodes?limit=500")
    assert added in [e["title"] for e in listing["episodes"]]
    assert watched.unexpected_errors() == []


def test_a_deleted_episode_is_restored_from_the_bin(
    watched: Watched, stack: StackProcess, added: str
) -> None:
    page = watched.page
    sign_in(page, stack)
    card(page, added).get_by_role("button", name="Delete").click()
    expect(card(page, added)).to_have_count(0)

    list_filter(page, "Bin").check()
    card(page, added).get_by_role("button", name="Restore").click()

    expect(card(page, added)).to_have_count(0)
    list_filter(page, "Bin").uncheck()
    expect(card(page, added)).to_have_count(1)
    assert watched.unexpected_errors() == []


def test_a_favourite_shows_under_the_favourites_filter(
    watched: Watched, stack: StackProcess, added: str
) -> None:
    page = watched.page
    sign_in(page, stack)

    card(page, added).get_by_role("button", name="☆ Favourite").click()

    expect(card(page, added).get_by_role("button", name="★ Favourite")).to_have_attribute(
        "aria-pressed", "true"
    )
    list_filter(page, "Favourites").check()
    expect(card(page, added)).to_have_count(1)
    expect(page.locator("#episodes .episode")).to_have_count(
        len([e for e in stack.request("GET", "/api/episodes?favorite=true&limit=500")[1]["episodes"]])
    )
    assert watched.unexpected_errors() == []


def test_priority_and_tags_are_changed_from_the_card(
    watched: Watched, stack: StackProcess, added: str
) -> None:
    page = watched.page
    sign_in(page, stack)

    card(page, added).get_by_label(f"Priority of {added}").select_option("high")
    expect(card(page, added).get_by_label(f"Priority of {added}")).to_have_value("high")
    card(page, added).get_by_role("button", name="Tags").click()
    card(page, added).get_by_label(f"Tags of {added}").fill("later, music")
    card(page, added).get_by_role("button", name="Save tags").click()

    expect(card(page, added).locator(".tag")).to_have_text(["later", "music"])
    _, listing = stack.request("GET", "/api/episodes?limit=500")
    (mine,) = [e for e in listing["episodes"] if e["title"] == added]
    assert mine["priority"] == "high"
    assert sorted(t["name"] for t in mine["tags"]) == ["later", "music"]
    assert watched.unexpected_errors() == []


def episode_id(stack: StackProcess, title: str) -> int:
    """The id of the episode with this title, as the API lists it."""
    _, listing = stack.request("GET", "/api/episodes?limit=500")
    (mine,) = [e for e in listing["episodes"] if e["title"] == title]
    return int(mine["id"])


def test_tags_and_search_filter_the_list(watched: Watched, stack: StackProcess, added: str) -> None:
    page = watched.page
    sign_in(page, stack)
    card(page, added).get_by_role("button", name="Tags").click()
    card(page, added).get_by_label(f"Tags of {added}").fill("only-this-one")
    card(page, added).get_by_role("button", name="Save tags").click()
    expect(card(page, added).locator(".tag")).to_have_text(["only-this-one"])

    # A tag on a card filters the list by it
    card(page, added).get_by_role("button", name="only-this-one").click()

    expect(list_filter(page, "Tag")).to_have_value("only-this-one")
    expect(page.locator("#episodes .episode")).to_have_count(1)
    expect(card(page, added)).to_have_count(1)
    list_filter(page, "Tag").fill("")
    expect(page.locator("#episodes .episode")).not_to_have_count(1)
    list_filter(page, "Search").fill(added.removeprefix("Manage "))
    expect(page.locator("#episodes .episode")).to_have_count(1)
    expect(card(page, added)).to_have_count(1)
    assert watched.unexpected_errors() == []


def test_a_refused_change_shows_its_reason(watched: Watched, stack: StackProcess, added: str) -> None:
    page = watched.page
    sign_in(page, stack)
    expect(card(page, added)).to_have_count(1)
    # Another device removes the episode for good while this page still shows it
    status, _ = stack.request("DELETE", f"/api/episodes/{episode_id(stack, added)}?permanent=true&wait=10")
    assert status == 200

    card(page, added).get_by_role("button", name="Mark watched").click()

    expect(page.locator("#toast")).to_contain_text(f"“{added}”: no such episode")
    expect(card(page, added)).to_have_count(0)
    assert watched.unexpected_errors(r"/api/episodes/\d+") == []


def test_a_change_not_applied_within_the_wait_is_followed_to_its_end(
    watched: Watched, stack: StackProcess, added: str
) -> None:
    page = watched.page
    sign_in(page, stack)
    # The API answers 202 at once, as it does when the writer takes longer than the page's wait
    page.route(
        "**/api/episodes/*?wait=*",
        lambda route: route.continue_(url=re.sub(r"wait=\d+", "wait=0", route.request.url)),
    )
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    card(page, added).get_by_role("button", name="☆ Favourite").click()

    expect(card(page, added).get_by_role("button", name="★ Favourite")).to_be_visible()
    assert any("/api/commands/" in url for url in asked)
    assert watched.unexpected_errors(r"/api/commands/") == []


def test_a_long_list_comes_a_page_at_a_time(watched: Watched, stack: StackProcess, feeds: FeedServer) -> None:
    url = feeds.put_feed("/paging.xml", (FEEDS / "simplecast-serial-bonus-episodes.xml").read_bytes())
    status, _ = stack.request("POST", "/api/podcasts", {"feedUrl": url, "backfill": "all"})
    assert status in (200, 201, 202)
    deadline = time.monotonic() + 60
    while stack.request("GET", "/api/episodes?type=podcast&limit=1")[1]["total"] < FEED_ITEMS:
        assert time.monotonic() < deadline, "the feed's episodes did not arrive"
        time.sleep(0.5)
    page = watched.page
    sign_in(page, stack)
    list_filter(page, "Type").select_option("podcast")
    list_filter(page, "Watched").select_option("")
    expect(page.locator("#episodes")).to_have_attribute("aria-busy", "false")
    shown = page.locator("#episodes .episode")
    expect(shown).to_have_count(PAGE_SIZE)
    expect(page.locator("#list-message")).to_have_text(f"{PAGE_SIZE} of {FEED_ITEMS} shown")

    page.get_by_role("button", name="Show more").click()

    expect(shown).to_have_count(FEED_ITEMS)
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    _, listing = stack.request("GET", f"/api/episodes?type=podcast&limit={FEED_ITEMS}")
    assert sorted(shown.locator(".title").all_inner_texts()) == sorted(
        e["title"] for e in listing["episodes"]
    )
    assert watched.unexpected_errors(OFFLINE_ARTWORK) == []


# What GET /api/episodes takes (the API refuses any other query parameter with 422).
EPISODES_QUERY = {
    "type", "watched", "favorite", "priority", "watchStatus", "tag", "deleted", "archived", "search",
    "sort", "limit", "offset",
}  # fmt: skip


def test_every_filter_asks_only_what_the_list_route_takes(watched: Watched, stack: StackProcess) -> None:
    page = watched.page
    answers: list[tuple[str, int]] = []
    page.on("response", lambda response: answers.append((response.url, response.status)))
    sign_in(page, stack)

    list_filter(page, "Type").select_option("video")
    list_filter(page, "Watched").select_option("true")
    list_filter(page, "Tag").fill("later")
    list_filter(page, "Search").fill("Manage")
    list_filter(page, "Favourites").check()
    list_filter(page, "Bin").check()
    expect(page.locator("#episodes")).to_have_attribute("aria-busy", "false")

    listed = [urlsplit(url) for url, _ in answers if urlsplit(url).path == "/api/episodes"]
    last = parse_qs(listed[-1].query)
    assert {k: v[0] for k, v in last.items() if k not in ("limit", "offset")} == {
        "type": "video", "watched": "true", "tag": "later", "search": "Manage", "favorite": "true",
        "deleted": "true",
    }  # fmt: skip
    assert all(set(parse_qs(url.query)) <= EPISODES_QUERY for url in listed)
    assert [(url, status) for url, status in answers if status >= 400] == []
    assert watched.unexpected_errors(OFFLINE_ARTWORK) == []
