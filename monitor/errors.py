"""lexwatch's one exception tree.

    LexwatchError
     ├── ConfigError          bad configuration: names the key, the value and what is allowed
     ├── FetchError           a source could not be fetched (carries the url)
     │    ├── TransportError        timeout, connection refused/reset, truncated body
     │    ├── BodyTooLargeError     the answer exceeds the configured maximum size
     │    ├── RateLimitedError      429/503 asking to wait longer than we are willing to
     │    ├── RobotsDisallowedError robots.txt forbids the URL for our User-Agent
     │    └── BlockedAddressError   the URL points at a loopback/private/metadata address (SSRF)
     ├── ParseError           the bytes are not what the parser expects (broken feed, bad JSON)
     ├── LimitError           a document needs more work than ``[analysis]`` allows (names it)
     ├── StorageError         the database is unreachable or its schema is not current
     └── NotifyError          an alert could not be delivered

Expected outcomes (304 Not Modified, unchanged content, a failed check caused by an error
page) are values (``monitor.types.CheckOutcome``), not exceptions. Library errors are
translated at the seam (``raise FetchError(...) from exc``).
"""

from __future__ import annotations


class LexwatchError(Exception):
    """Base of every error lexwatch raises on purpose."""


class ConfigError(LexwatchError):
    """The configuration is invalid; the message names the key and the allowed values."""


class FetchError(LexwatchError):
    """A source could not be fetched."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class TransportError(FetchError):
    """Timeout, refused or reset connection, or a body cut short, after all retries."""


class BodyTooLargeError(FetchError):
    """The answer is larger than the configured maximum; nothing of it is kept."""


class RateLimitedError(FetchError):
    """The server asked us to wait (429/503 Retry-After) longer than the configured maximum."""


class RobotsDisallowedError(FetchError):
    """robots.txt disallows this URL for lexwatch's User-Agent."""


class BlockedAddressError(FetchError):
    """The URL (or a redirect, or its DNS answer) points at a non-public address."""


class RenderError(FetchError):
    """A ``render = true`` page could not be rendered: no Chromium, or the page did not
    settle within ``render.page_timeout``, or the browser failed."""


class ParseError(LexwatchError):
    """The content cannot be parsed by the source's parser."""


class LimitError(LexwatchError):
    """A document holds more elements, items or changes than one check may handle."""


class StorageError(LexwatchError):
    """The database cannot be used (unreachable, or its schema is out of date)."""


class NotifyError(LexwatchError):
    """An alert could not be delivered.

    ``retry_after``: the channel asked us to wait this many seconds (Slack 429 Retry-After);
    ``permanent``: retrying cannot help (invalid token, channel not found, bad recipient).
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
