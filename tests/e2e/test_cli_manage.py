"""Working through the list with the `watcharr` command against `watcharr local run`, as a person would.

The stack is the one `make run` starts (with AllowedOrigins set, as a deployment for a browser client
would be); the links point at a local web site that real yt-dlp reads. Every step is the installed
console script, and every check is what it prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.origin import OriginServer
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

APP_ORIGIN = "https://app.example.com"


def watcharr(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `watcharr` console script, run from ``cwd`` (the local stack's ./data is found there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHARR_")}
    script = Path(sys.executable).with_name("watcharr")
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def rows(listing: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    """`episodes list`'s table as rows keyed by title, each cut at the header's column starts."""
    assert listing.returncode == 0, listing.stderr
    if listing.stdout == "no episodes\n":
        return {}
    header, *lines = listing.stdout.splitlines()
    names = header.split()
    starts = [header.index(name) for name in names]
    cells = [
        {n: line[s:e].strip() for n, s, e in zip(names, starts, [*starts[1:], None], strict=True)}
        for line in lines
    ]
    return {cell["TITLE"]: cell for cell in cells}


def test_mark_delete_restore_and_tag_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ("--api-workers", "1", "--retry-delay", "1", "--parameter", f"AllowedOrigins={APP_ORIGIN}")
    with OriginServer() as origin, running_stack(data, args=args) as stack:
        # Given three videos added from the command line
        titles = ["First talk", "Second talk", "Third talk"]
        links = [origin.url(f"/video/manage-{i}?title={t.replace(' ', '%20')}") for i, t in enumerate(titles)]
        added = watcharr(tmp_path, "add", *links, "--wait")
        assert added.returncode == 0, added.stdout + added.stderr
        listed = rows(watcharr(tmp_path, "episodes", "list"))
        assert set(listed) == set(titles)
        first, second, third = (listed[t]["ID"] for t in titles)

        # When the first is marked watched
        watched = watcharr(tmp_path, "watched", first)
        assert (watched.returncode, watched.stdout) == (0, f"watched    {first}  First talk\n")
        # And the second moved to the bin
        removed = watcharr(tmp_path, "rm", second)
        assert removed.returncode == 0, removed.stderr
        assert removed.stdout.startswith(f"in the bin  {second}  Second talk")
        # Then the list no longer shows it, and the bin does
        assert set(rows(watcharr(tmp_path, "episodes", "list"))) == {"First talk", "Third talk"}
        assert set(rows(watcharr(tmp_path, "episodes", "list", "--deleted"))) == {"Second talk"}

        # When it is restored and the third tagged (its tags are new)
        restored = watcharr(tmp_path, "restore", second)
        assert (restored.returncode, restored.stdout) == (0, f"restored  {second}  Second talk\n")
        tagged = watcharr(tmp_path, "tag", third, "later", "talks")
        assert (tagged.returncode, tagged.stdout) == (0, f"tagged  {third}  Third talk  [later, talks]\n")

        # Then the list reads back every change, as the user made it
        final = rows(watcharr(tmp_path, "episodes", "list"))
        assert set(final) == set(titles)
        assert {t: (final[t]["STATE"], final[t]["TAGS"]) for t in titles} == {
            "First talk": ("watched", ""),
            "Second talk": ("", ""),
            "Third talk": ("", "later, talks"),
        }
        tags = watcharr(tmp_path, "tags")
        assert tags.returncode == 0 and [line.split()[1:3] for line in tags.stdout.splitlines()[1:]] == [
            ["later", "1"],
            ["talks", "1"],
        ]
        # And the job that added them is listed with its totals
        jobs = watcharr(tmp_path, "jobs", "list")
        assert jobs.returncode == 0 and len(jobs.stdout.splitlines()) == 2
        assert jobs.stdout.splitlines()[1].split()[-3:] == ["3", "0", "0"]

        # A path outside /api reaches the function, which answers in the API's JSON error shape
        status, body = stack.request("GET", "/nope", token=None)
        assert status == 404 and body["success"] is False and "/api/" in body["error"]

        # A browser on the allowed origin gets its preflight answered, one elsewhere does not
        def preflight(from_origin: str) -> tuple[int, str | None]:
            headers = {"Origin": from_origin, "Access-Control-Request-Method": "PATCH"}
            request = urllib.request.Request(
                stack.url + f"/api/episodes/{first}", method="OPTIONS", headers=headers
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Access-Control-Allow-Origin")

        assert preflight(APP_ORIGIN) == (204, APP_ORIGIN)
        assert preflight("https://elsewhere.example") == (204, None)
        # And the answer to its call carries the header the browser checks
        request = urllib.request.Request(
            stack.url + f"/api/episodes/{first}", headers={"Origin": APP_ORIGIN, "X-API-Token": stack.token}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                allowed, episode = response.headers.get("Access-Control-Allow-Origin"), json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(error.read()) from error
        assert (allowed, episode["episode"]["watched"]) == (APP_ORIGIN, True)
