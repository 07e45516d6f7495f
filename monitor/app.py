"""The composition root: the one place that turns Settings into working objects."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import socket
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.analysis.limits import WorkLimits
from monitor.config import Settings, build_source
from monitor.errors import ConfigError
from monitor.types import (
    Change,
    Classifier,
    ClassifyContext,
    ItemDiff,
    Parser,
    Source,
    Subscription,
)
from sources.catalog import builtin_sources
from sources.fetch.redact import redact_url
from storage.outbox import Routing
from storage.store import Store
from storage.subscriptions import UserDigests

# The fetcher (httpx, aiohttp), the classifier and the replay server load when something is
# checked (``App.checker``), not for the commands that only read the database.
if TYPE_CHECKING:
    import httpx

    from monitor.pipeline import Checker
    from notifiers.outbox import Dispatcher
    from sources.fetch.fetcher import FetchPolicy
    from sources.fetch.politeness import HostLimiter, Turns
    from sources.fetch.render import RenderPolicy

logger = logging.getLogger(__name__)


def resolve_sources(
    settings: Settings, parsers: Mapping[str, Parser] | None = None
) -> dict[str, Source]:
    """The built-in catalog (unless disabled) with the user's sources and overrides applied.

    ``parsers``: the registry to check parser names against (default: ``PARSERS``, which
    loads every parser: only when there is a source to check).
    """
    catalog = builtin_sources() if settings.builtin_catalog else {}
    resolved = dict(catalog)
    for key, override in settings.sources.items():
        resolved[key] = build_source(key, catalog.get(key), override, settings.default_interval)
    if resolved:
        _check_sources(resolved.values(), parsers)
        _check_following(resolved.values(), settings)
        _check_rendering(resolved.values())
    return dict(sorted(resolved.items()))


def _check_following(sources: Iterable[Source], settings: Settings) -> None:
    from sources.parsers import LINK_PARSERS

    limit = int(settings.http.max_body_mb * 1_000_000)
    for source in sources:
        if source.documents is None:
            continue
        if source.parser not in LINK_PARSERS:
            raise ConfigError(
                f"sources.{source.key}.follow_documents: reads the links of an"
                f" HTML page, and parser {source.parser!r} does not read one;"
                f" use it with parser {' or '.join(LINK_PARSERS)}"
            )
        if (source.documents.max_bytes or 0) > limit:
            raise ConfigError(
                f"sources.{source.key}.max_document_mb: over http.max_body_mb"
                f" ({settings.http.max_body_mb:g}), the most lexwatch downloads;"
                " lower it or raise http.max_body_mb"
            )


def _check_rendering(sources: Iterable[Source]) -> None:
    from sources.parsers import HTML_PARSERS

    for source in sources:
        if source.render and source.parser not in HTML_PARSERS:
            raise ConfigError(
                f"sources.{source.key}.render: a rendered page is HTML, and parser"
                f" {source.parser!r} does not read HTML; use render with parser"
                f" {', '.join(HTML_PARSERS)} (feeds, JSON and documents need no browser)"
            )


def _check_sources(sources: Iterable[Source], parsers: Mapping[str, Parser] | None) -> None:
    from sources.parsers import PARSERS
    from sources.parsers.selectors import check_selectors

    known = PARSERS if parsers is None else parsers
    for source in sources:
        if source.parser not in known:
            raise ConfigError(
                f"sources.{source.key}.parser: unknown parser {source.parser!r};"
                f" valid parsers: {', '.join(sorted(known))}"
            )
        if not source.url.startswith(("http://", "https://")):
            raise ConfigError(f"sources.{source.key}.url: {source.url!r} is not an http(s) URL")
        try:
            check_selectors(source.options)
        except ConfigError as exc:
            raise ConfigError(f"sources.{source.key}: {exc}") from exc


def _client(
    policy: FetchPolicy, replay_dir: Path | None
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The HTTP client: the real one, or one answering from recordings (``[replay] dir``;
    its module, with an aiohttp server in it, is loaded only then)."""
    from sources.fetch.fetcher import make_client

    if replay_dir is None:
        return make_client(policy)
    from sources.fetch.replay import offline_policy, replay_client

    return replay_client(offline_policy(policy), replay_dir)


def fetch_policy(settings: Settings) -> FetchPolicy:
    from sources.fetch.fetcher import FetchPolicy

    http = settings.http
    return FetchPolicy(
        user_agent=http.user_agent(),
        connect_timeout=http.connect_timeout,
        read_timeout=http.read_timeout,
        total_timeout=http.total_timeout,
        max_redirects=http.max_redirects,
        max_body_bytes=int(http.max_body_mb * 1_000_000),
        allow_private_addresses=http.allow_private_addresses,
        allowed_hosts=tuple(http.allowed_hosts),
        retries=http.retries,
        backoff_base=http.backoff_base,
        backoff_max=http.backoff_max,
        max_retry_after=http.max_retry_after,
        respect_robots=http.respect_robots,
        per_host_concurrency=http.per_host_concurrency,
        per_host_spacing=http.per_host_spacing,
        global_concurrency=http.global_concurrency,
    )


def render_policy(settings: Settings) -> RenderPolicy:
    from sources.fetch.render import RenderPolicy

    render = settings.render
    return RenderPolicy(
        page_timeout=render.page_timeout,
        max_bytes=int(render.max_mb * 1_000_000),
        max_pages=render.max_pages,
        chromium=render.chromium,
    )


@dataclass
class App:
    """Settings, sources, subscriptions and the store, ready to check and deliver."""

    settings: Settings
    sources: dict[str, Source]
    store: Store
    subscriptions: list[Subscription] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, *, migrate: bool = True) -> App:
        """Validate sources and subscriptions, open (and migrate) the database, sync sources."""
        sources, subscriptions = resolve_configuration(settings)
        store = Store.open(settings.database_url, migrate=migrate)
        store.routing = Routing(
            subscriptions=tuple(subscriptions),
            failure_threshold=settings.alerts.failure_threshold,
            user_digests=UserDigests(
                digest_time=settings.dashboard.user_digest_time,
                timezone=settings.dashboard.timezone,
            ),
        )
        # Stored and shown in the dashboard: without credentials from the URL.
        store.sync_sources(
            replace(source, url=redact_url(source.url)) for source in sources.values()
        )
        return cls(settings=settings, sources=sources, store=store, subscriptions=subscriptions)

    def select(self, keys: list[str] | tuple[str, ...]) -> list[Source]:
        """The named sources; an unknown key is a ConfigError listing the valid ones."""
        unknown = [key for key in keys if key not in self.sources]
        if unknown:
            raise ConfigError(
                f"unknown source(s) {', '.join(map(repr, unknown))};"
                f" valid keys: {', '.join(self.sources)}"
            )
        return [self.sources[key] for key in keys]

    def enabled(self) -> list[Source]:
        return [source for source in self.sources.values() if source.enabled]

    @asynccontextmanager
    async def checker(self) -> AsyncIterator[Checker]:
        """A Checker over one shared HTTP client and one browser (started at the first
        ``render = true`` page), both closed when the block ends."""
        from monitor.analysis.deadlines import extract_deadlines
        from monitor.pipeline import Checker
        from sources.fetch.fetcher import Fetcher
        from sources.fetch.render import Renderer
        from sources.parsers import PAGERS, PARSERS

        policy = fetch_policy(self.settings)
        _freeze_start_up()
        async with _client(policy, self.settings.replay.dir) as client:
            fetcher = Fetcher(client, policy, limiter=self._limiter(policy))
            renderer = Renderer(fetcher, render_policy(self.settings))
            checker = Checker(
                store=self.store,
                fetcher=fetcher,
                renderer=renderer,
                classifier=RulesOnFirstUse(),
                parsers=PARSERS,
                pagers=PAGERS,
                find_deadlines=extract_deadlines,
                limits=work_limits(self.settings),
            )
            try:
                yield checker
            finally:
                checker.close()
                await renderer.close()

    def _limiter(self, policy: FetchPolicy) -> HostLimiter:
        """Per-host limits; on PostgreSQL the spacing is shared with every other process."""
        from sources.fetch.politeness import HostLimiter

        turns = _shared_turns(self.store) if self.store.shares_turns() else None
        return HostLimiter(
            policy.per_host_concurrency,
            policy.per_host_spacing,
            policy.global_concurrency,
            turns=turns,
        )

    @asynccontextmanager
    async def dispatcher(self) -> AsyncIterator[Dispatcher]:
        """A Dispatcher with one Sender per subscription, over one HTTP client for webhooks."""
        # Channel libraries (slack-sdk, apprise, jinja2) load only in commands that deliver.
        import httpx

        from monitor.pipeline import utcnow
        from notifiers.email import EmailSender
        from notifiers.outbox import Dispatcher
        from notifiers.senders import make_mailers, make_senders

        timeout = httpx.Timeout(30.0, connect=10.0)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            dispatcher = Dispatcher(
                store=self.store,
                subscriptions=self.subscriptions,
                senders=make_senders(self.subscriptions, self.settings, http),
                mailers=make_mailers(self.subscriptions, self.settings),
                settings=self.settings.alerts,
                clock=utcnow,
                mailer_for=lambda sub: EmailSender(sub, self.settings.smtp),
            )
            try:
                yield dispatcher
            finally:
                # Sends a round left running end within alerts.send_timeout.
                await dispatcher.wait_idle()

    def bind_dashboard(self) -> socket.socket:
        """A listening socket where ``[dashboard]`` says; ConfigError when it cannot listen."""
        from dashboard.app import bind

        return bind(self.settings.dashboard.host, self.settings.dashboard.port)

    async def serve_dashboard(
        self, sock: socket.socket, stop: asyncio.Event, checker: Checker | None = None
    ) -> None:
        """Serve the dashboard on ``sock`` in the running loop until ``stop`` is set."""
        from dashboard.app import serve

        settings = self.settings.dashboard
        await serve(
            self, host=settings.host, port=settings.port, stop=stop, checker=checker, sock=sock
        )

    def subscription(self, name: str) -> Subscription:
        """The named subscription (of lexwatch.toml, or a user's own digest "user:<name>");
        an unknown name is a ConfigError listing the valid ones."""
        known = [*self.subscriptions, *self.store.user_subscriptions()]
        for sub in known:
            if sub.name == name:
                return sub
        valid = ", ".join(sub.name for sub in known) or "none configured"
        raise ConfigError(f"unknown subscription {name!r}; valid names: {valid}")

    def close(self) -> None:
        self.store.close()


@functools.cache  # once a process: what exists when the first checks start
def _freeze_start_up() -> None:
    """Take what start-up built (modules, models, settings, the store) out of the cyclic
    garbage collector's walks: they live as long as the process, and walking them again at
    each collection cost a sixth of a cycle of 304s (bench/cycle.py: 0.08 of 0.47 s CPU).
    The objects still go when nothing refers to them; only cycles among them stay."""
    gc.freeze()


class RulesOnFirstUse:
    """The ``RuleClassifier``, imported when a check first has diffs to classify: a cycle
    of unchanged pages never has, and need not import its rules."""

    def __init__(self) -> None:
        self._rules: Classifier | None = None

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        if self._rules is None:  # two threads may both build one: it holds no state
            from monitor.analysis.classify import RuleClassifier

            self._rules = RuleClassifier()
        return self._rules.classify(diffs, context)


def work_limits(settings: Settings) -> WorkLimits:
    analysis = settings.analysis
    return WorkLimits(
        max_elements=analysis.max_elements,
        max_items=analysis.max_items,
        max_changed_items=analysis.max_changed_items,
    )


def warn_without_contact(settings: Settings) -> None:
    """Said by the commands that fetch from the network, once each: not by every command."""
    if settings.http.contact is None and settings.replay.dir is None:
        logger.warning(
            "http.contact is not set: EU webmasters cannot reach you if"
            " lexwatch misbehaves; set it in lexwatch.toml"
        )


def resolve_configuration(settings: Settings) -> tuple[dict[str, Source], list[Subscription]]:
    """The sources and subscriptions of ``settings``, checked as a start checks them (also by
    `lexwatch config check`, so that what it accepts, a start accepts); ConfigError if not."""
    from dashboard.roles import check_roles

    sources = resolve_sources(settings)
    check_roles(settings.dashboard)
    return sources, resolve_subscriptions(settings, sources)


def resolve_subscriptions(settings: Settings, sources: Mapping[str, Source]) -> list[Subscription]:
    """The configured subscriptions, secrets read; filters naming unknown sources refused."""
    subscriptions = settings.resolved_subscriptions()
    for sub in subscriptions:
        unknown = [key for key in sub.sources if key not in sources]
        if unknown:
            raise ConfigError(
                f"subscriptions.{sub.name}.sources: unknown source(s)"
                f" {', '.join(map(repr, unknown))}; valid keys: {', '.join(sources)}"
            )
    return subscriptions


def _shared_turns(store: Store) -> Turns:
    async def turns(host: str, spacing: float) -> float:
        turn = await asyncio.to_thread(store.reserve_turn, host, spacing)
        # The database's clock, the same for every worker: their requests can be compared.
        logger.debug("request turn for %s at %s", host, turn.starts_at.isoformat())
        return turn.wait

    return turns
