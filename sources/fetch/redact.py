"""URLs fit to log and store: credentials in the user info or a secret-looking query
parameter masked. Light on purpose: every command that opens the database uses it, and
importing the fetcher (httpx, aiohttp) costs a fifth of a second of CPU."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# A query parameter whose name ends like one of these holds a credential (apiKey,
# access_token, X-Amz-Signature, sessionid ...); its value is never logged or stored.
_SECRET_ENDINGS = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "auth",
    "authorization",
    "signature",
    "sig",
    "session",
    "sessionid",
    "sid",
    "credential",
    "credentials",
)


@functools.lru_cache(maxsize=4096)  # called for every request and answer, with few URLs
def redact_url(url: str) -> str:
    """``url`` fit to log or store: no password, no value of a secret-looking query parameter.

    ``https://u:pw@host/p?api_key=abc&page=2`` becomes ``https://u:***@host/p?api_key=***&page=2``;
    everything else is kept byte for byte.
    """
    try:
        return rewrite(url, lambda host, name, value: MASK)
    except ValueError:
        return "<unparsable URL>"


MASK = "***"
Rewrite = Callable[[str, str, str], str]  # (host, parameter name, value) -> new value


def rewrite(url: str, change: Rewrite) -> str:
    """``url`` with its password and secret query values replaced by ``change``'s answer."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        netloc = f"{user}:{change(host, '@' + user, password)}@{hostport}"
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        name, sep, value = pair.partition("=")
        if sep and value and secret_param(unquote_plus(name)):
            pair = f"{name}={change(host, name, value)}"
        pairs.append(pair)
    query = "&".join(pairs)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def secret_param(name: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", name.lower()).endswith(_SECRET_ENDINGS)
