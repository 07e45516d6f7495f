"""Benchmark: what ``render = true`` costs against a plain fetch, on a loopback page.

The page is tests/servers/rendered.py's listing: an HTML shell whose script fetches a JSON
list and builds the items (three requests in all). Measured in one run, so the ratios hold
on any machine:

* a plain fetch (the Fetcher's GET) against fetch + render (the page in a warm Chromium);
* the browser's start: the first render (Playwright's driver and Chromium started) against
  a warm one;
* ``render.max_pages`` 1 against 2: the wall time of a batch of pages checked together;
* peak memory: this process (RSS), and Chromium's processes (PSS, sampled after each
  render).

Run: python bench/render.py [--pages N]   (writes bench/results/render.txt)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "render.txt"


def descendants_rss_mb() -> float:
    """Memory of every process below this one (Playwright's driver, Chromium): the sum of
    their proportional set sizes (PSS), so pages they share are counted once."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def measure(pages: int, chromium: str) -> dict[str, float]:
    from sources.fetch.fetcher import Fetcher, FetchPolicy, make_client
    from sources.fetch.render import Renderer, RenderPolicy
    from tests.servers.rendered import RenderedSite

    site = RenderedSite()
    site.start()
    url = site.url("/listing")
    policy = FetchPolicy(user_agent="lexwatch-bench", respect_robots=False, per_host_spacing=0)
    found: dict[str, float] = {}
    try:
        async with make_client(policy) as client:
            fetcher = Fetcher(client, policy)
            plain = [await timed(lambda: fetcher.fetch(url)) for _ in range(pages)]
            renderer = Renderer(fetcher, RenderPolicy(chromium=chromium))

            async def rendered() -> object:
                return await renderer.render(await fetcher.fetch(url))

            found["cold_render_s"] = await timed(rendered)
            peaks = []
            warm = []
            for _ in range(pages):
                warm.append(await timed(rendered))
                peaks.append(descendants_rss_mb())
            await renderer.close()
            found["plain_fetch_s"] = statistics.median(plain)
            found["warm_render_s"] = statistics.median(warm)
            found["chromium_peak_mb"] = max(peaks)
            for slots in (1, 2):
                batch = Renderer(fetcher, RenderPolicy(chromium=chromium, max_pages=slots))
                await batch.render(await fetcher.fetch(url))  # started outside the timing
                jobs = [fetcher.fetch(url) for _ in range(pages)]
                fetched = await asyncio.gather(*jobs)
                started = time.perf_counter()
                await asyncio.gather(*(batch.render(page) for page in fetched))
                found[f"batch_{slots}_s"] = time.perf_counter() - started
                await batch.close()
    finally:
        site.stop()
    found["self_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


def report(found: dict[str, float], pages: int, chromium: str) -> str:
    plain, warm, cold = found["plain_fetch_s"], found["warm_render_s"], found["cold_render_s"]
    return "\n".join(
        [
            f"# bench/render.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"# {platform.python_implementation()} {platform.python_version()},"
            f" {os.cpu_count()} CPUs, {chromium}; {pages} pages per measure (median)",
            "",
            "| measure | value | ratio |",
            "|---|---|---|",
            f"| plain fetch of the page | {plain * 1000:.1f} ms | 1 |",
            f"| fetch + render, warm browser | {warm * 1000:.1f} ms | {warm / plain:.0f}x |",
            f"| first render (driver and Chromium start) | {cold * 1000:.0f} ms"
            f" | {cold / warm:.1f}x a warm render |",
            f"| browser start alone (first - warm) | {(cold - warm) * 1000:.0f} ms | |",
            f"| {pages} pages, max_pages = 1 | {found['batch_1_s'] * 1000:.0f} ms | 1 |",
            f"| {pages} pages, max_pages = 2 | {found['batch_2_s'] * 1000:.0f} ms"
            f" | {found['batch_2_s'] / found['batch_1_s']:.2f} |",
            f"| peak memory, Chromium and its driver (PSS) | {found['chromium_peak_mb']:.0f} MB"
            " | |",
            f"| peak RSS, lexwatch's process | {found['self_peak_mb']:.0f} MB | |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=10, help="pages per measure (default 10)")
    parser.add_argument(
        "--chromium",
        default=os.environ.get("LEXWATCH_CHROMIUM") or shutil.which("chromium") or "",
        help="Chromium to use (default: $LEXWATCH_CHROMIUM, else chromium on PATH)",
    )
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("bench/render.py needs Chromium: apt-get install chromium, or --chromium PATH")
    found = asyncio.run(measure(args.pages, args.chromium))
    text = report(found, args.pages, args.chromium)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
