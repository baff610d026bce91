"""`watcharr add` and `watcharr jobs show|list|retry`: add links as one job, follow it, retry what failed."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from watcharr import limits
from watcharr.cli.client import (
    EXIT_INTERRUPTED,
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ApiClient,
    ApiError,
    CliError,
)
from watcharr.cli.render import Progress, format_table
from watcharr.cli.session import Session

POLL_SECONDS = 1.0
DEFAULT_WAIT_TIMEOUT_SECONDS = 900


def collect_urls(given: Sequence[str], stdin: TextIO) -> list[str]:
    """The links given, ``-`` replaced by the lines of stdin (blank lines and # comments skipped)."""
    urls: list[str] = []
    for value in given:
        if value == "-":
            urls.extend(line.strip() for line in stdin if line.strip() and not line.lstrip().startswith("#"))
        else:
            urls.append(value)
    return urls


def cmd_add(session: Session) -> int:
    """Add links as one job; with --wait follow it to the end and summarise."""
    args = session.args
    urls = collect_urls(args.urls, session.stdin)
    if not urls:
        raise CliError("no links to add (give URLs, or - to read them from stdin)", EXIT_USAGE)
    if len(urls) > limits.MAX_URLS_PER_BATCH:
        raise CliError(
            f"{len(urls)} links: at most {limits.MAX_URLS_PER_BATCH} per call; split the list", EXIT_USAGE
        )
    tag = {"tag": args.tag} if args.tag is not None else {}
    api = session.api()
    if len(urls) == 1:
        try:
            answer = api.call("POST", "/api/shortcuts/add-episode", {"url": urls[0], **tag})
        except ApiError as exc:
            if exc.status == 422:
                raise CliError(f"{urls[0]}: {exc}") from None
            raise
        results = [{"url": urls[0], "status": "QUEUED"}]
    else:
        try:
            answer = api.call("POST", "/api/shortcuts/add-videos", [{"url": u, **tag} for u in urls])
        except ApiError as exc:
            if exc.status == 422 and session.as_json:
                session.emit_json(exc.body)
            elif exc.status == 422:
                print_refused(session, exc.body.get("results") or [])
            raise
        results = answer.get("results") or []
    job_id = str(answer["jobId"])
    refused = [r for r in results if r.get("status") != "QUEUED"]
    submitted = {"success": True, "jobId": job_id, "results": results}
    if not session.as_json:
        session.say(
            f"job {job_id}: {len(results) - len(refused)} link(s) queued"
            + (f", {len(refused)} refused" if refused else "")
        )
        print_refused(session, refused)
    if not args.wait:
        if session.as_json:
            session.emit_json(submitted)
        return EXIT_ITEMS_FAILED if refused else EXIT_OK
    try:
        job, finished = follow_job(api, job_id, Progress(session.err), args.timeout)
    except KeyboardInterrupt:
        raise CliError(
            f"interrupted; the job goes on: watcharr jobs show {job_id}", EXIT_INTERRUPTED
        ) from None
    if session.as_json:
        session.emit_json({**submitted, "job": job})
    else:
        print_job(session, job)
    if not finished:
        session.note(f"still running after {args.timeout} s; follow it with: watcharr jobs show {job_id}")
        return EXIT_ITEMS_FAILED
    failed = int((job.get("totals") or {}).get("failed", 0))
    return EXIT_ITEMS_FAILED if refused or failed else EXIT_OK


def print_refused(session: Session, results: Sequence[Mapping[str, Any]]) -> None:
    for result in results:
        if result.get("status") != "QUEUED":
            session.say(f"  NOK  {result.get('url')}: {result.get('reason') or 'refused'}")


def follow_job(
    api: ApiClient, job_id: str, progress: Progress, timeout: float
) -> tuple[dict[str, Any], bool]:
    """Poll a job until every item is terminal or ``timeout`` seconds pass; returns (job, finished)."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {
        "jobId": job_id,
        "status": "running",
        "total": 0,
        "done": 0,
        "totals": {},
        "items": [],
    }
    try:
        while True:
            try:
                job = api.call("GET", f"/api/jobs/{job_id}")
            except ApiError as exc:
                # The job appears once the writer applied it, a moment after the API accepted it.
                if exc.status != 404:
                    raise
            else:
                progress.update(job)
                if job.get("status") == "done":
                    return job, True
            if time.monotonic() >= deadline:
                return job, False
            time.sleep(POLL_SECONDS)
    finally:
        progress.finish()


def print_job(session: Session, job: Mapping[str, Any]) -> None:
    """Each item with its state (and reason when it failed), then the totals."""
    for item in job.get("items") or []:
        state = str(item.get("state"))
        what = item.get("title") or item.get("url")
        line = f"  {state:<9} {what}"
        if state == "failed":
            line += f": {item.get('reason') or 'no reason given'}"
        elif item.get("title") and state in {"added", "restored"}:
            line += f"  <{item.get('url')}>"
        session.say(line)
    totals = job.get("totals") or {}
    parts = [f"{totals.get(s, 0)} {s}" for s in ("added", "restored", "failed")]
    if totals.get("expanded"):
        parts.append(f"{totals['expanded']} playlist(s) expanded")
    if totals.get("queued"):
        parts.append(f"{totals['queued']} still queued")
    session.say(f"job {job.get('jobId')}: {job.get('total', 0)} item(s): " + ", ".join(parts))
    if job.get("leftOut"):
        session.say(f"  {job['leftOut']} playlist entr(ies) left out: over the playlist limit")


def cmd_jobs_show(session: Session) -> int:
    """Show one job: its status, totals and every item."""
    job_id = urllib.parse.quote(session.args.job_id, safe="")
    job = session.api().call("GET", f"/api/jobs/{job_id}")
    if session.as_json:
        session.emit_json(job)
        return EXIT_OK
    session.say(
        f"job {job.get('jobId')}: {job.get('status')} ({job.get('done', 0)}/{job.get('total', 0)} finished)"
    )
    print_job(session, job)
    return EXIT_OK


def cmd_jobs_list(session: Session) -> int:
    """The caller's recent jobs, newest first, with their totals."""
    args = session.args
    answer = session.api().call("GET", "/api/jobs", query={"limit": args.limit, "offset": args.offset})
    jobs = answer.get("jobs") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not jobs:
        session.say("no jobs")
        return EXIT_OK
    rows = []
    for job in jobs:
        totals = job.get("totals") or {}
        rows.append(
            [
                str(job.get("jobId")),
                str(job.get("createdAt") or ""),
                str(job.get("source") or ""),
                str(job.get("status") or ""),
                f"{job.get('done', 0)}/{job.get('total', 0)}",
                *(str(totals.get(state, 0)) for state in ("added", "restored", "failed")),
            ]
        )
    headers = ["JOB", "CREATED", "SOURCE", "STATUS", "DONE", "ADDED", "RESTORED", "FAILED"]
    session.say(format_table(headers, rows, [32, 24, 20, 7, 11, 5, 8, 6]))
    shown = args.offset + len(jobs)
    if int(answer.get("total") or 0) > shown:
        session.note(f"{shown} of {answer['total']} shown; more with --offset {shown}")
    return EXIT_OK


def cmd_jobs_retry(session: Session) -> int:
    """Queue a job's failed items again; each is extracted anew and ends added, restored or failed."""
    job_id = urllib.parse.quote(session.args.job_id, safe="")
    answer = session.api().call("POST", f"/api/jobs/{job_id}/retry", query={"wait": session.args.wait})
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    retried = answer.get("retried") or []
    session.say(
        f"job {session.args.job_id}: {len(retried)} failed item(s) queued again; "
        f"follow it with: watcharr jobs show {session.args.job_id}"
    )
    return EXIT_OK
