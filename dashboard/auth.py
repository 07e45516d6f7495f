"""Dashboard logins: users from the environment, password hashes, sessions, CSRF, throttling.

Users come from ``LEXWATCH_DASHBOARD__USERS`` ("name:password,name2:password2"); a password
may be stored as ``pbkdf2_sha256$<iterations>$<salt-b64>$<hash-b64>`` (made by
``lexwatch dashboard hash-password``). The session (a signed cookie) holds the user name and
a random CSRF token; every form carries the token and every POST is checked against it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from fastapi import HTTPException, Request

# Re-exported for the callers that predate roles; it lives where no web framework loads.
from dashboard.roles import parse_users as parse_users

HASH_SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
CSRF_FIELD = "csrf_token"
_SESSION_USER = "user"
_SESSION_CSRF = "csrf"


def hash_password(
    password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> str:
    """A ``pbkdf2_sha256$...`` string to use in LEXWATCH_DASHBOARD__USERS for the password."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([HASH_SCHEME, str(iterations), _b64(salt), _b64(digest)])


def verify_password(stored: str, given: str) -> bool:
    """Whether ``given`` matches ``stored`` (a pbkdf2 hash or plain text), in constant time."""
    if not stored.startswith(HASH_SCHEME + "$"):
        return hmac.compare_digest(stored.encode(), given.encode())
    try:
        _, iterations, salt, expected = stored.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", given.encode(), _unb64(salt), int(iterations))
        return hmac.compare_digest(digest, _unb64(expected))
    except ValueError:  # a malformed hash matches nothing
        return False


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@functools.cache
def _dummy() -> str:
    """Checked when the user name is unknown, so a wrong name costs the same time."""
    return hash_password("lexwatch", salt=b"\0" * 16)


def authenticate(users: Mapping[str, str], name: str, password: str) -> bool:
    """Whether ``name`` is a configured user and ``password`` is theirs."""
    stored = users.get(name)
    matched = verify_password(stored if stored is not None else _dummy(), password)
    return stored is not None and matched


class LoginThrottle:
    """At most ``limit`` failed logins per ``window`` seconds per client address."""

    def __init__(
        self, *, limit: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures


# -- sessions and CSRF -------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(_SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_CSRF] = token
    return token


def check_csrf(request: Request, given: str | None) -> None:
    """403 unless ``given`` is the session's CSRF token."""
    expected = request.session.get(_SESSION_CSRF)
    if not (
        isinstance(expected, str)
        and expected
        and given
        and hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise HTTPException(
            status_code=403,
            detail="the form expired or did not come from"
            " this site (CSRF check failed): reload the page and try again",
        )


def log_in(request: Request, name: str) -> None:
    """Start a fresh session for ``name`` (new CSRF token: nothing carries over)."""
    request.session.clear()
    request.session[_SESSION_USER] = name
    csrf_token(request)


def log_out(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, users: Mapping[str, str]) -> str | None:
    """The logged-in user, if still configured (removing a user ends their sessions)."""
    name = request.session.get(_SESSION_USER)
    return name if isinstance(name, str) and name in users else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
