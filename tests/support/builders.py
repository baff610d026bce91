"""Messages and media for tests, with sensible defaults."""

from __future__ import annotations

from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import (
    EpisodeChanges,
    EpisodeExtracted,
    EpisodeUpdated,
    JobCreated,
    JobItemSpec,
    UserCreated,
)

AT = "2026-11-28T12:00:00.000Z"


def media(key: str = "youtube:dQw4w9WgXcQ", title: str = "A video", **fields: object) -> MediaMetadata:
    values: dict[str, object] = {
        "media_key": key,
        "type": "video",
        "title": title,
        "url": f"https://www.youtube.com/watch?v={key.split(':')[-1]}",
        "duration": 212,
        "channel": ChannelInfo(id="youtube:UC1", type="video", name="A channel"),
    }
    values.update(fields)
    return MediaMetadata.model_validate(values)


def user(name: str = "alice", token_hash: str | None = None) -> UserCreated:
    return UserCreated(at=AT, username=name, token_hash=token_hash or name.encode().hex().ljust(64, "0"))


def job(job_id: str, user_id: int, urls: list[str]) -> JobCreated:
    items = [JobItemSpec(item_id=f"{job_id}-{i:04d}", url=u, kind="video") for i, u in enumerate(urls)]
    return JobCreated(at=AT, job_id=job_id, user_id=user_id, source="batch", items=items)


def extracted(
    job_id: str, index: int, user_id: int, key: str, title: str, tag: str | None = None
) -> EpisodeExtracted:
    return EpisodeExtracted(
        at=AT,
        user_id=user_id,
        job_id=job_id,
        item_id=f"{job_id}-{index:04d}",
        media=media(key, title),
        tag=tag,
    )


def command_id(n: int) -> str:
    """A command id as the API makes them (32 lowercase hex), numbered for the test's reading."""
    return f"{n:032x}"


def updated(n: int, episode_id: int, user_id: int = 1, at: str = AT, **changes: object) -> EpisodeUpdated:
    return EpisodeUpdated(
        at=at,
        command_id=command_id(n),
        user_id=user_id,
        episode_id=episode_id,
        changes=EpisodeChanges.model_validate(changes),
    )
