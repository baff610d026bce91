"""Every environment variable the functions read, in one model.

On AWS the template sets these; in local mode the runner sets them to moto's queues and ./data. Endpoints
themselves come from boto3's own AWS_ENDPOINT_URL_<SERVICE> variables, so no code path differs.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from watcharr import limits


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    extract_queue_url: str = ""
    results_queue_url: str = ""
    database_path: str = "/mnt/data/watcharr.db"
    # Name of the QueryFunction for lambda:Invoke; empty means call it in-process (local mode, tests).
    query_function_name: str = ""
    # Local mode fetches from 127.0.0.1 and private addresses; on AWS the SSRF guard refuses them.
    allow_private_network: bool = False
    # Local mode's moto checks no signature, so its SQS requests go unsigned: SigV4 signing is a fifth
    # of botocore's CPU per call. On AWS every request is signed (the template never sets this). Only
    # local mode's direct SQS path (watcharr.local.moto_http) files unsigned calls under SQS.
    sqs_unsigned: bool = False
    extract_max_receive_count: int = 5
    socket_timeout: float = limits.SOCKET_TIMEOUT_SECONDS
    playlist_limit: int = limits.PLAYLIST_LIMIT
    feed_timeout: float = limits.FEED_TIMEOUT_SECONDS
    # The iTunes Search API's lookup endpoint (Apple Podcasts links); tests point it at a local fake.
    itunes_lookup_url: str = "https://itunes.apple.com/lookup"
    # YouTube Data API v3 key: the literal key (local mode), or where it is kept on AWS (read by
    # adapters/secrets.py, never logged). Any of the three makes YouTube ids go to the API first.
    youtube_api_key: str = Field(default="", repr=False)
    youtube_api_key_parameter: str = ""
    youtube_api_key_secret: str = ""
    # Base URLs of the Data API and of YouTube's oEmbed endpoint (tests point them at local servers).
    youtube_api_url: str = "https://www.googleapis.com/youtube/v3"
    youtube_oembed_url: str = "https://www.youtube.com/oembed"
    # Where followed channels' pages and feeds are read; subscriptions store www.youtube.com's URLs.
    youtube_site_url: str = "https://www.youtube.com"
    # Optional yt-dlp outbound proxy (may carry credentials) and Secrets Manager id of a cookies.txt.
    ytdlp_proxy: str = Field(default="", repr=False)
    ytdlp_cookies_secret: str = ""

    @property
    def youtube_api_configured(self) -> bool:
        """Whether a Data API key is configured (not whether it can be read or is valid)."""
        return bool(self.youtube_api_key or self.youtube_api_key_parameter or self.youtube_api_key_secret)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            raw = env.get(f"WATCHARR_{name.upper()}")
            if raw is not None:
                values[name] = raw.lower() in {"1", "true", "yes"} if field.annotation is bool else raw
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once (a Lambda container or the local runner)."""
    return Settings.from_env()
