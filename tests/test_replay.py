"""Record from a real loopback server with the real Fetcher, then replay offline through
ReplayServer + ReplayTransport and run ``Checker.check`` end to end."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from monitor.analysis.classify import StructuralClassifier
from monitor.errors import FetchError
from monitor.pipeline import Checker, CheckResult
from monitor.tools.record import record_source
from monitor.types import CheckOutcome, Source, SourceOptions
from sources.fetch.fetcher import Fetcher, FetchPolicy, make_client
from sources.fetch.replay import ReplayServer, replay_client
from sources.parsers import PAGERS, PARSERS
from storage.store import Store
from tests.servers.replay import ReplayServer as LiveServer

POLICY = FetchPolicy(
    user_agent="lexwatch-tests (+mailto:tests@example.org)",
    per_host_spacing=0,
    retries=0,
    connect_timeout=5,
    read_timeout=5,
)

PAGE = """<!DOCTYPE html><html><head><title>AI Office</title></head><body><main>
<h1>European AI Office</h1><p>The AI Office is the centre of AI expertise.</p>
<h2>Tasks</h2><p>It supports the implementation of the AI Act.</p></main></body></html>"""


def _source(url: str, key: str = "guide", parser: str = "html", **options) -> Source:
    return Source(
        key=key, title=key, url=url, parser=parser, interval=3600, options=SourceOptions(**options)
    )


def _record(source: Source, directory: Path, pagers=None) -> list[Path]:
    async def run() -> list[Path]:
        async with make_client(POLICY) as client:
            return await record_source(source, Fetcher(client, POLICY), directory, pagers=pagers)

    return asyncio.run(run())


def _replay_checks(
    source: Source, directory: Path, database_url: str, times: int
) -> tuple[list[CheckResult], list[str | None], int]:
    """``times`` checks of ``source`` over replay: the results, the stored final URLs and
    the number of items in the last snapshot."""
    store = Store.open(database_url)
    try:
        store.sync_sources([source])

        async def run() -> list[CheckResult]:
            async with replay_client(POLICY, directory) as client:
                checker = Checker(
                    store=store,
                    fetcher=Fetcher(client, POLICY),
                    classifier=StructuralClassifier(),
                    parsers=PARSERS,
                    pagers=PAGERS,
                )
                return [await checker.check(source) for _ in range(times)]

        results = asyncio.run(run())
        snapshot = store.state(source.key).snapshot_id
        items = len(store.document(snapshot).items) if snapshot is not None else 0
        return results, [check.final_url for check in store.checks(source.key)], items
    finally:
        store.close()


def _get(directory: Path, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        async with replay_client(POLICY, directory) as client:
            response = await client.get(url, headers=headers)
            await response.aread()
            return response

    return asyncio.run(run())


def test_record_writes_one_json_and_body_pair(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    written = _record(_source(url), tmp_path)

    assert written == [tmp_path / "guide" / "0.json"]
    meta = json.loads(written[0].read_text())
    assert meta["url"] == meta["final_url"] == url
    assert meta["status"] == 200 and meta["source"] == "guide" and meta["page"] == 0
    assert meta["content_type"].startswith("text/html")
    assert meta["headers"]["last-modified"] and meta["fetched_at"]
    assert (tmp_path / "guide" / meta["body"]).read_bytes() == PAGE.encode()


def test_replayed_checks_are_baseline_then_304_offline(
    tmp_path: Path, replay_server: LiveServer, database_url: str
):
    url = replay_server.add("/guide", PAGE)
    source = _source(url)
    _record(source, tmp_path)
    replay_server.stop()  # from here on the original server is gone: replay only

    results, final_urls, items = _replay_checks(source, tmp_path, database_url, times=2)

    assert [r.outcome for r in results] == [CheckOutcome.BASELINE, CheckOutcome.NOT_MODIFIED]
    assert [r.http_status for r in results] == [200, 304]
    assert final_urls == [url, url]  # the original URL, never the replay server's
    assert items == 2


def test_final_url_is_the_original_url(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    _record(_source(url), tmp_path)

    response = _get(tmp_path, url)

    assert response.status_code == 200 and response.content == PAGE.encode()
    assert str(response.url) == url and str(response.request.url) == url
    assert response.headers["etag"].startswith('"')


def test_a_recorded_redirect_ends_at_its_recorded_final_url(
    tmp_path: Path, replay_server: LiveServer, database_url: str
):
    target = replay_server.add("/new-home", PAGE)
    old = replay_server.redirect("/old-home", "/new-home")
    source = _source(old)
    meta = json.loads(_record(source, tmp_path)[0].read_text())
    assert (meta["url"], meta["final_url"]) == (old, target)
    replay_server.stop()

    results, final_urls, _ = _replay_checks(source, tmp_path, database_url, times=1)

    assert results[0].outcome is CheckOutcome.BASELINE
    assert final_urls == [target]


def test_if_modified_since_alone_gives_304(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    meta = json.loads(_record(_source(url), tmp_path)[0].read_text())

    response = _get(tmp_path, url, {"If-Modified-Since": meta["headers"]["last-modified"]})

    assert response.status_code == 304 and response.content == b""


def test_unknown_url_is_a_failed_check(
    tmp_path: Path, replay_server: LiveServer, database_url: str
):
    _record(_source(replay_server.add("/guide", PAGE)), tmp_path)
    other = _source(replay_server.url("/never-recorded"), key="other")

    results, _, _ = _replay_checks(other, tmp_path, database_url, times=1)

    assert results[0].outcome is CheckOutcome.FAILED
    assert results[0].http_status == 404 and "HTTP 404" in (results[0].error or "")


def test_robots_txt_is_404_unless_recorded(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    _record(_source(url), tmp_path)

    assert _get(tmp_path, replay_server.url("/robots.txt")).status_code == 404
    assert _get(tmp_path, "https://eur-lex.europa.eu/robots.txt").status_code == 404


def test_a_recorded_robots_txt_is_obeyed(
    tmp_path: Path, replay_server: LiveServer, database_url: str
):
    url = replay_server.add("/guide", PAGE)
    robots = replay_server.add(
        "/robots.txt", "User-agent: *\nDisallow: /guide\n", content_type="text/plain"
    )
    source = _source(url)
    # robots.txt is recorded like any document; the guide is recorded while it is allowed.
    _record(_source(robots, key="robots"), tmp_path)
    replay_server.robots("User-agent: *\nAllow: /\n")
    _record(source, tmp_path)
    replay_server.stop()

    results, _, _ = _replay_checks(source, tmp_path, database_url, times=1)

    assert results[0].outcome is CheckOutcome.FAILED
    assert "robots.txt" in (results[0].error or "")


def test_refuses_to_record_a_failed_fetch(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    replay_server.fault("/guide", "maintenance")
    with pytest.raises(FetchError, match="not recording guide: error page served with 200"):
        _record(_source(url), tmp_path)

    missing = _source(replay_server.url("/gone"), key="gone")
    with pytest.raises(FetchError, match="not recording gone: HTTP 404"):
        _record(missing, tmp_path)
    assert not list(tmp_path.rglob("*.json"))


def test_refused_recording_keeps_the_previous_one(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    _record(_source(url), tmp_path)
    replay_server.fault("/guide", "status", status=503)
    with pytest.raises(FetchError):
        _record(_source(url), tmp_path)
    assert (tmp_path / "guide" / "0.body").read_bytes() == PAGE.encode()


def _path_pager(content: bytes, url: str, options: SourceOptions) -> str | None:
    """Test pager: each page's body names the next URL on its last line (or nothing)."""
    last = content.decode().strip().splitlines()[-1]
    return last if last.startswith("http") else None


def test_paginated_source_records_each_page_up_to_max_pages(
    tmp_path: Path, replay_server: LiveServer
):
    urls = [replay_server.url(f"/api/{n}") for n in range(3)]
    for n in range(3):
        body = json.dumps([{"id": n}]) + ("\n" + urls[n + 1] if n < 2 else "")
        replay_server.add(f"/api/{n}", body, content_type="application/json")
    pagers = {"json": _path_pager}
    everything = _source(urls[0], key="api", parser="json", key_field="id", max_pages=5)
    assert len(_record(everything, tmp_path, pagers)) == 3
    source = _source(urls[0], key="api", parser="json", key_field="id", max_pages=2)

    written = _record(source, tmp_path, pagers)

    assert [p.name for p in written] == ["0.json", "1.json"]
    assert [json.loads(p.read_text())["url"] for p in written] == urls[:2]
    assert sorted(p.name for p in (tmp_path / "api").iterdir()) == [
        "0.body",
        "0.json",
        "1.body",
        "1.json",
    ]  # the third page of before is gone
    replay_server.stop()
    assert _get(tmp_path, urls[1]).content.startswith(b'[{"id": 1}]')
    assert _get(tmp_path, urls[2]).status_code == 404  # beyond max_pages: not recorded


def test_a_pager_pointing_back_stops(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add(
        "/loop", "[]\n" + replay_server.url("/loop"), content_type="application/json"
    )
    source = _source(url, key="loop", parser="json", key_field="id", max_pages=5)

    assert len(_record(source, tmp_path, pagers={"json": _path_pager})) == 1


HYS_PAGE = """{{"initiativeResultDtoPage": {{"content": [{records}],
  "pageable": {{"pageNumber": {n}, "pageSize": 2}}, "number": {n}, "size": 2,
  "numberOfElements": {count}, "totalElements": 3, "totalPages": 2,
  "first": {first}, "last": {last}, "empty": false}}}}"""
HYS_RECORD = """{{"id": {id}, "shortTitle": "Initiative {id}",
  "foreseenActType": "IMPLEMENTING_ACT",
  "topics": [{{"code": "DIGITAL", "label": "Digital economy and society"}}],
  "currentStatuses": [{{"receivingFeedbackStatus": "OPEN",
    "feedbackStartDate": "2026/11/01 00:00:00", "feedbackEndDate": "2026/12/01 23:59:59",
    "isCurrent": true}}]}}"""


def _hys_page(n: int, ids: list[int]) -> str:
    records = ", ".join(HYS_RECORD.format(id=i) for i in ids)
    return HYS_PAGE.format(
        records=records, n=n, count=len(ids), first=str(n == 0).lower(), last=str(n == 1).lower()
    )


def test_hys_search_recording_follows_its_pages(
    tmp_path: Path, replay_server: LiveServer, database_url: str
):
    # The test server routes by path only: the first request (page 0) gets the fault's body,
    # every later one page 1.
    path = "/brpapi/searchInitiatives"
    replay_server.add(path, _hys_page(1, [3]), content_type="application/json")
    replay_server.fault(path, "body", body=_hys_page(0, [1, 2]), content_type="application/json")
    url = replay_server.url(path) + "?text=ai&page=0&size=2&language=EN"
    source = _source(url, key="hys", parser="hys_search", max_pages=5)

    written = _record(source, tmp_path)

    assert len(written) == 2
    pages = [json.loads(p.read_text()) for p in written]
    assert pages[0]["url"] == url and pages[1]["url"] == url.replace("page=0", "page=1")
    replay_server.stop()
    assert b'"id": 3' in _get(tmp_path, pages[1]["url"]).content
    # Offline, the pipeline follows the same pages: all three initiatives, then a 304.
    results, final_urls, items = _replay_checks(source, tmp_path, database_url, times=2)
    assert [r.outcome for r in results] == [CheckOutcome.BASELINE, CheckOutcome.NOT_MODIFIED]
    assert final_urls == [url, url] and items == 3


def test_replay_server_lists_what_it_serves(tmp_path: Path, replay_server: LiveServer):
    url = replay_server.add("/guide", PAGE)
    _record(_source(url), tmp_path)

    async def run() -> list[str]:
        async with ReplayServer(tmp_path) as server:
            assert server.base_url.startswith("http://127.0.0.1:")
            return server.urls

    assert asyncio.run(run()) == [url]
