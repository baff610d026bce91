"""Recognising the links people share, by subject: finding a link in a text (``text``), cleaning a
URL (``cleaning``), YouTube (``youtube``), Apple Podcasts (``apple``), and the whole reduction of a
shared link to what the extractor fetches and the key duplicates share (``classify``).

Links arrive from the iOS share sheet (a link inside a sentence), from batches and from the CLI.
Pure code (no yt-dlp, no network, no pydantic): the API function imports it on every cold start.
"""
