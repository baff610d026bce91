"""`watcharr watched|unwatched|fav|rm|restore`: change episodes, each change a command for the writer.

The API turns each change into a command on the FIFO queue and, asked to wait (``?wait=N``), answers
once the writer applied it, with the episode as it is now; that is what the CLI prints. Several ids
are changed one after the other, in the order given, which is also the order the writer applies them.

Exit codes: 0 every change applied; 1 the API refused one (no such episode, a bad tag name); 4 the
writer recorded one as failed, or it was not applied within ``--wait`` seconds (it may still apply).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from watcharr import limits
from watcharr.cli.client import (
    EXIT_FAILED,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    ApiClient,
    ApiError,
)
from watcharr.cli.render import printable
from watcharr.cli.session import Session

# Long enough for a writer busy with a batch of added links, within the API's limit.
DEFAULT_CHANGE_WAIT_SECONDS = min(10, limits.MAX_WAIT_SECONDS)


@dataclass(frozen=True)
class Change:
    """One API call that changes one episode."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    query: dict[str, Any] | None = None


@dataclass(frozen=True)
class Result:
    """What became of one change: the exit code it counts as, and what the API answered."""

    episode_id: int
    code: int
    answer: dict[str, Any]


def episode_line(episode: dict[str, Any]) -> str:
    """An episode as one line: id, title (or link) and its tags, every field from a page escaped."""
    title = printable(" ".join(str(episode.get("title") or episode.get("url") or "").split()))
    tags = [printable(str(tag.get("name"))) for tag in episode.get("tags") or []]
    return f"{episode.get('id')}  {title}" + (f"  [{', '.join(tags)}]" if tags else "")


def send_change(api: ApiClient, episode_id: int, change: Change, wait: int) -> Result:
    """Send one change and wait up to ``wait`` seconds for it; refusals become results, not errors."""
    query = {**(change.query or {}), "wait": wait}
    try:
        answer = api.call(change.method, change.path, change.body, query)
    except ApiError as exc:
        # Unreachable, or a token refused: every other change would fail the same way.
        if exc.code == EXIT_UNREACHABLE or exc.status in (401, 403):
            raise
        # With a command id the writer took the change and recorded why it could not apply it.
        code = EXIT_ITEMS_FAILED if exc.body.get("commandId") else EXIT_FAILED
        return Result(episode_id, code, {"success": False, "error": str(exc), **exc.body})
    applied = "episode" in answer
    return Result(episode_id, EXIT_OK if applied or wait == 0 else EXIT_ITEMS_FAILED, answer)


def report(session: Session, results: Sequence[Result], done: Callable[[dict[str, Any]], str]) -> int:
    """Print each result (``done`` words an applied one) and return the exit code of them all."""
    codes = {r.code for r in results}
    code = EXIT_FAILED if EXIT_FAILED in codes else max(codes, default=EXIT_OK)
    if session.as_json:
        session.emit_json(
            {
                "success": code == EXIT_OK,
                "results": [{"episodeId": r.episode_id, **r.answer} for r in results],
            }
        )
        return code
    for result in results:
        answer = result.answer
        if result.code == EXIT_OK and "episode" in answer:
            episode = answer["episode"]
            session.say(done(episode) if episode else f"{result.episode_id}  deleted for good")
        elif result.code == EXIT_OK:
            session.say(f"{result.episode_id}  queued as command {answer.get('commandId')}")
        elif answer.get("success") is False:
            # The writer's refusal names the episode ("no such episode: 7"); the line names it already.
            reason = str(answer.get("error")).removesuffix(f": {result.episode_id}")
            session.note(f"watcharr: episode {result.episode_id}: {printable(reason)}")
        else:
            session.note(
                f"watcharr: episode {result.episode_id}: not applied within {session.args.wait} s "
                f"(it may still be): command {answer.get('commandId')}"
            )
    return code


def change_each(
    session: Session,
    change: Callable[[int], Change],
    done: Callable[[dict[str, Any]], str],
) -> int:
    """Apply ``change`` to every id given, in order, and report."""
    api = session.api()
    results = [send_change(api, i, change(i), session.args.wait) for i in session.args.episode_ids]
    return report(session, results, done)


def _patch(fields: dict[str, Any]) -> Callable[[int], Change]:
    return lambda episode_id: Change("PATCH", f"/api/episodes/{episode_id}", fields)


def cmd_watched(session: Session) -> int:
    """Mark episodes watched."""
    return change_each(session, _patch({"watched": True}), lambda e: f"watched    {episode_line(e)}")


def cmd_unwatched(session: Session) -> int:
    """Mark episodes not watched."""
    return change_each(session, _patch({"watched": False}), lambda e: f"unwatched  {episode_line(e)}")


def cmd_fav(session: Session) -> int:
    """Make episodes favourites (``--off``: no longer)."""
    on = not session.args.off
    words = "favourite" if on else "not favourite"
    return change_each(session, _patch({"favorite": on}), lambda e: f"{words}  {episode_line(e)}")


def cmd_rm(session: Session) -> int:
    """Move episodes to the bin (``--permanent``: remove them for good)."""
    query = {"permanent": True} if session.args.permanent else None
    return change_each(
        session,
        lambda i: Change("DELETE", f"/api/episodes/{i}", query=query),
        lambda e: f"in the bin  {episode_line(e)}  (watcharr restore {e.get('id')})",
    )


def cmd_restore(session: Session) -> int:
    """Take episodes out of the bin."""
    return change_each(
        session,
        lambda i: Change("POST", f"/api/episodes/{i}/restore"),
        lambda e: f"restored  {episode_line(e)}",
    )
