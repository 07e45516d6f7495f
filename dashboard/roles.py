"""Who may do what: the roles of dashboard users and API tokens, from the configuration.

A viewer reads (and manages their own digest); an editor also triages events, marks noise,
mutes items, splits events and checks sources now; an admin also sees the outbox
(deliveries), redelivers, and reads or changes other users' digests.

Roles come from ``[dashboard.roles]`` (user -> role). Without that table every user is an
admin, as before roles existed; with it, a user it does not name gets ``default_role``
(viewer unless set). API tokens come from ``LEXWATCH_DASHBOARD__API_TOKENS``: "user:token"
binds a token to a user (it acts as that user, with their role); a token without a user (the
older form) keeps what tokens could do before roles (admin), but records no person, so it
may not make triage writes, which the audit trail attributes to someone.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import IntEnum

from pydantic import SecretStr

from monitor.config import DashboardSettings
from monitor.errors import ConfigError

LEGACY_TOKEN_ACTOR = "api-token"
# A user's own digest is the subscription "user:NAME", and subscription names are at most 100
# characters where deliveries are stored (PostgreSQL would refuse a longer one, and with it
# the check that stored the change).
USER_NAME_MAX = 100 - len("user:")


class Role(IntEnum):
    """Ordered: each role may do everything the ones below it may."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, name: str) -> Role:
        return cls[name.upper()]


@dataclass(frozen=True, kw_only=True, slots=True)
class Token:
    """A configured API token; ``user`` None: an unbound (older) token."""

    secret: str
    user: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """Who a request acts as: a user (session or bound token) or an unbound token."""

    name: str
    role: Role
    person: bool  # False: an unbound token, which names nobody in an audit trail


def parse_users(users: SecretStr | None) -> dict[str, str]:
    """``{name: password or hash}`` from "name:password,name2:password2" (None: no users)."""
    if users is None:
        return {}
    parsed: dict[str, str] = {}
    for pair in users.get_secret_value().split(","):
        name, sep, password = pair.strip().partition(":")
        if sep and name.strip() and password:
            parsed[name.strip()] = password
    return parsed


def role_of(settings: DashboardSettings, user: str) -> Role:
    """``user``'s role (the user is assumed configured)."""
    named = settings.roles.get(user)
    if named is not None:
        return Role.named(named)
    if settings.default_role is not None:
        return Role.named(settings.default_role)
    return Role.VIEWER if settings.roles else Role.ADMIN


def parse_tokens(secret: SecretStr | None, users: set[str]) -> list[Token]:
    """The configured tokens; "user:token" is bound when ``user`` is a configured user."""
    if secret is None:
        return []
    tokens = []
    for given in secret.get_secret_value().split(","):
        given = given.strip()
        name, sep, rest = given.partition(":")
        if sep and rest and name in users:
            tokens.append(Token(secret=rest, user=name))
        elif given:
            tokens.append(Token(secret=given, user=None))
    return tokens


def token_actor(settings: DashboardSettings, given: str | None) -> Actor | None:
    """The actor of a bearer token, None when it matches no configured token."""
    if not given:
        return None
    users = set(parse_users(settings.users))
    found = None
    for token in parse_tokens(settings.api_tokens, users):
        # Every token is compared (constant time overall), the first match kept.
        if hmac.compare_digest(given.encode(), token.secret.encode()) and found is None:
            found = token
    if found is None:
        return None
    if found.user is None:
        return Actor(name=LEGACY_TOKEN_ACTOR, role=Role.ADMIN, person=False)
    return Actor(name=found.user, role=role_of(settings, found.user), person=True)


def check_roles(settings: DashboardSettings) -> None:
    """ConfigError naming what is wrong: a user name too long, roles or bound tokens for users
    that do not exist."""
    users = set(parse_users(settings.users))
    long = sorted(name for name in users if len(name) > USER_NAME_MAX)
    if long:
        raise ConfigError(
            f"LEXWATCH_DASHBOARD__USERS: user name {long[0][:40]!r}... has {len(long[0])}"
            f" characters; at most {USER_NAME_MAX}"
        )
    unknown = sorted(set(settings.roles) - users)
    if unknown:
        configured = ", ".join(sorted(users)) or "none (LEXWATCH_DASHBOARD__USERS is not set)"
        raise ConfigError(
            f"dashboard.roles names user(s) {', '.join(map(repr, unknown))} that"
            f" LEXWATCH_DASHBOARD__USERS does not define; configured users: {configured}"
        )
    if settings.api_tokens is None:
        return
    for given in settings.api_tokens.get_secret_value().split(","):
        name, sep, rest = given.strip().partition(":")
        if sep and not rest:
            raise ConfigError(
                f"LEXWATCH_DASHBOARD__API_TOKENS: the token bound to {name!r} is empty"
                " (write user:token)"
            )


def assignable(settings: DashboardSettings) -> list[str]:
    """The users an event may be assigned to: every configured user, by name."""
    return sorted(parse_users(settings.users))
