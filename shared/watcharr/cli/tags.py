"""`watcharr tags` and `watcharr tag ID NAME…`: the caller's tags, and setting an episode's tags by name."""

from __future__ import annotations

from collections.abc import Sequence

from watcharr.cli.changes import DEFAULT_CHANGE_WAIT_SECONDS, Change, episode_line, report, send_change
from watcharr.cli.client import EXIT_ITEMS_FAILED, EXIT_OK, EXIT_USAGE, ApiClient, ApiError, CliError
from watcharr.cli.render import format_table, printable
from watcharr.cli.session import Session


def cmd_tags(session: Session) -> int:
    """List the caller's tags with how many episodes carry each."""
    answer = session.api().call("GET", "/api/tags")
    tags = answer.get("tags") or []
    if session.as_json:
        session.emit_json(answer)
    elif not tags:
        session.say("no tags")
    else:
        rows = [
            [str(t.get("id")), str(t.get("name")), str(t.get("episodeCount", 0)), str(t.get("color") or "")]
            for t in tags
        ]
        session.say(format_table(["ID", "NAME", "EPISODES", "COLOR"], rows, [12, 64, 8, 7]))
    return EXIT_OK


def tag_ids_for(api: ApiClient, names: Sequence[str], wait: int) -> list[int]:
    """The ids of the tags named (case does not matter), creating those the user does not have yet."""
    wanted = list({name.strip().casefold(): name.strip() for name in names if name.strip()}.values())
    tags = api.call("GET", "/api/tags").get("tags") or []
    known = {str(t["name"]).casefold(): int(t["id"]) for t in tags}
    ids = []
    for name in wanted:
        if name.casefold() not in known:
            known[name.casefold()] = _create_tag(api, name, wait)
        ids.append(known[name.casefold()])
    return ids


def _create_tag(api: ApiClient, name: str, wait: int) -> int:
    # A new tag's id is known only once the writer created it: wait for that even when told not to.
    seconds = wait or DEFAULT_CHANGE_WAIT_SECONDS
    try:
        answer = api.call("POST", "/api/tags", {"name": name}, {"wait": seconds})
    except ApiError as exc:
        found = _named(api, name) if exc.status == 409 else None
        if found is None:
            raise CliError(f'tag "{printable(name)}": {exc}', exc.code) from None
        # Created a moment ago by another client: use it.
        return found
    if not answer.get("tag"):
        raise CliError(f'tag "{printable(name)}" was not created within {seconds} s', EXIT_ITEMS_FAILED)
    return int(answer["tag"]["id"])


def _named(api: ApiClient, name: str) -> int | None:
    tags = api.call("GET", "/api/tags").get("tags") or []
    return next((int(t["id"]) for t in tags if str(t["name"]).casefold() == name.casefold()), None)


def cmd_tag(session: Session) -> int:
    """Set an episode's tags to the names given (creating missing tags); ``--clear`` removes them all."""
    args = session.args
    if bool(args.names) == bool(args.clear):
        raise CliError("give the tag names, or --clear to remove every tag", EXIT_USAGE)
    api = session.api()
    tag_ids = [] if args.clear else tag_ids_for(api, args.names, args.wait)
    change = Change("PATCH", f"/api/episodes/{args.episode_id}", {"tagIds": tag_ids})
    result = send_change(api, args.episode_id, change, args.wait)
    return report(session, [result], lambda e: f"tagged  {episode_line(e)}")
