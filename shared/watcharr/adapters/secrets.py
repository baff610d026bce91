"""Credentials the extractor may use for YouTube: a Data API key and a cookies.txt for yt-dlp.

On AWS they live in SSM Parameter Store (SecureString) or Secrets Manager and the settings only name
them; locally the key may be given as it is (WATCHARR_YOUTUBE_API_KEY). Values are cached for a few
minutes per container, so a rotated key is picked up without a redeploy and a warm container does not
pay an AWS call per link. No value is ever logged or put into an exception message: a failure to read
one is logged with the name and the AWS error code only, and the caller goes on without it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from watcharr.observability import logger
from watcharr.settings import Settings

CACHE_SECONDS = 300.0

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[float, str | None]] = {}


def _boto3_client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def _read(source: str, name: str) -> str | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if source == "ssm":
            answer = _boto3_client("ssm").get_parameter(Name=name, WithDecryption=True)
            return str(answer["Parameter"]["Value"])
        value = _boto3_client("secretsmanager").get_secret_value(SecretId=name).get("SecretString")
        return str(value) if value is not None else None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "unknown")
        logger.error(
            "cannot read a credential", extra={"source": source, "credential": name, "error_code": code}
        )
    except BotoCoreError as exc:
        logger.error(
            "cannot read a credential",
            extra={"source": source, "credential": name, "error": type(exc).__name__},
        )
    return None


def _cached(source: str, name: str) -> str | None:
    now = time.monotonic()
    with _lock:
        hit = _cache.get((source, name))
        if hit is not None and hit[0] > now:
            return hit[1]
    value = _read(source, name)
    with _lock:
        _cache[(source, name)] = (now + CACHE_SECONDS, value or None)
    return value or None


def forget_cached_credentials() -> None:
    """Drop every cached value (tests; a new container starts empty anyway)."""
    with _lock:
        _cache.clear()


def youtube_api_key(settings: Settings) -> str | None:
    """The Data API key: given as is, else read from SSM, else from Secrets Manager; None when none."""
    if settings.youtube_api_key:
        return settings.youtube_api_key
    if settings.youtube_api_key_parameter:
        key = _cached("ssm", settings.youtube_api_key_parameter)
    elif settings.youtube_api_key_secret:
        key = _cached("secretsmanager", settings.youtube_api_key_secret)
    else:
        return None
    return (key or "").strip() or None


def ytdlp_cookie_file(settings: Settings) -> str | None:
    """A cookies.txt (Netscape format) for yt-dlp, written from Secrets Manager to the temp dir, 0600.

    The file is named after a hash of its content, so a rotated secret gets a new file while yt-dlp
    keeps updating the current one (it saves the session's cookies back when it is done).
    """
    if not settings.ytdlp_cookies_secret:
        return None
    content = _cached("secretsmanager", settings.ytdlp_cookies_secret)
    if not content:
        return None
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"watcharr-cookies-{digest}.txt"
    if not path.exists():
        # O_EXCL + O_NOFOLLOW: never write through a file or link someone else put there first.
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content if content.endswith("\n") else content + "\n")
        os.replace(temporary, path)
    return str(path)
