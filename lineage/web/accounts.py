"""Workspace users and API keys, kept in the graph (``:WorkspaceUser``, ``:ApiKey``).

* Users sign in with a password, stored only as an **Argon2id** hash (argon2-cffi's
  ``PasswordHasher``, RFC 9106 parameters). Roles: ``officer`` (everything), ``analyst``
  (lineage, impact, audit, inventory, sources; no parent reports or records of disclosures),
  ``viewer`` (inventory and sources).
* API keys are 256-bit random tokens (``lk_`` + URL-safe base64), shown once when created and
  stored only as their SHA-256 (enough for a high-entropy secret: no dictionary to try), with
  a role (the three above, or ``ingest``: only ``POST /api/v1/lineage``).

Every query is a file of ``cypher/web/``; the graph is reached through :mod:`lineage.web.service`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lineage.web import service
from lineage.web.service import Store, UsageError

USER_ROLES = ("officer", "analyst", "viewer")
KEY_ROLES = USER_ROLES + ("ingest",)

#: What each role may do (the permissions the pages and endpoints require).
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"lineage", "report", "impact", "audit", "inventory", "sources",
                          "lookups", "ingest"}),
    "analyst": frozenset({"lineage", "impact", "audit", "inventory", "sources"}),
    "viewer": frozenset({"inventory", "sources"}),
    "ingest": frozenset({"ingest"}),
}

MIN_PASSWORD = 12
KEY_PREFIX = "lk_"
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")

_hasher = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile (argon2-cffi's default)
#: Verified against when the user is unknown, so sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or an API key. ``kind`` is ``user`` or ``api_key``."""

    name: str
    role: str
    kind: str

    @property
    def permissions(self) -> frozenset[str]:
        """The permissions of the role (:data:`PERMISSIONS`)."""
        return PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        """True when the role has ``permission``."""
        return permission in self.permissions


def normalise_name(name: str) -> str:
    """A sign-in or key name, lower-cased and checked: 1-64 of ``a-z 0-9 . _ @ -``, starting
    with a letter or digit. Raises :class:`UsageError`."""
    n = (name or "").strip().lower()
    if not _NAME.fullmatch(n):
        raise UsageError("a name is 1-64 characters: letters, digits, '.', '_', '@' or '-', "
                         "starting with a letter or digit")
    return n


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- users ---------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password``. Raises :class:`UsageError` when it is shorter
    than :data:`MIN_PASSWORD` characters."""
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(store: Store, name: str, role: str, password: str) -> str:
    """Add a user; returns the normalised name. Raises :class:`UsageError` for a bad name,
    role or password, or a name already taken."""
    name = normalise_name(name)
    if role not in USER_ROLES:
        raise UsageError(f"role must be one of {', '.join(USER_ROLES)}")
    c = service.command(store, "user_create", user_name=name, role=role,
                        password_hash=hash_password(password), now=_now())
    if not c["nodes_created"]:
        raise UsageError(f"a user named {name!r} already exists",
                         hint="'lineage users remove' it first to change its role or password")
    return name


def list_users(store: Store) -> list[dict]:
    """Every user ``{name, role, created_at}`` (never the hash), by name."""
    rows = service.query(store, "users_list")
    for r in rows:
        r["created_at"] = service.iso(r["created_at"])
    return rows


def remove_user(store: Store, name: str) -> None:
    """Remove a user (their look-up records stay). Raises :class:`NotFoundError` when there is
    none, :class:`UsageError` for a malformed name."""
    name = normalise_name(name)
    if not service.command(store, "user_remove", user_name=name)["nodes_deleted"]:
        raise service.NotFoundError(f"no user named {name!r}")


def authenticate(store: Store, name: str, password: str) -> Principal | None:
    """The user when ``password`` is theirs, else ``None`` (same work for an unknown name)."""
    try:
        name = normalise_name(name)
    except UsageError:
        name = ""
    rows = service.query(store, "user_get", user_name=name) if name else []
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    return Principal(rows[0]["name"], rows[0]["role"], "user")


def user(store: Store, name: str) -> Principal | None:
    """The user named ``name`` as it is now (role changes and removals take effect at once)."""
    rows = service.query(store, "user_get", user_name=name)
    return Principal(rows[0]["name"], rows[0]["role"], "user") if rows else None


# --- API keys ------------------------------------------------------------------------------------

def key_hash(key: str) -> str:
    """Hex SHA-256 of an API key (what the graph stores)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(store: Store, name: str, role: str) -> str:
    """Create an API key and return it: the only time it is shown. Raises :class:`UsageError`
    for a bad name or role, or a name already taken."""
    name = normalise_name(name)
    if role not in KEY_ROLES:
        raise UsageError(f"role must be one of {', '.join(KEY_ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    c = service.command(store, "key_create", key_name=name, role=role, key_hash=key_hash(key),
                        prefix=key[:8], now=_now())
    if not c["nodes_created"]:
        raise UsageError(f"an API key named {name!r} already exists")
    return key


def list_keys(store: Store) -> list[dict]:
    """Every key ``{name, role, prefix, created_at, revoked_at}`` (never the key or its hash)."""
    rows = service.query(store, "keys_list")
    for r in rows:
        r["created_at"] = service.iso(r["created_at"])
        r["revoked_at"] = service.iso(r["revoked_at"])
    return rows


def revoke_key(store: Store, name: str) -> bool:
    """Revoke a key; ``False`` when it was revoked before. Raises :class:`NotFoundError` for an
    unknown name."""
    name = normalise_name(name)
    if not any(k["name"] == name for k in service.query(store, "keys_list")):
        raise service.NotFoundError(f"no API key named {name!r}")
    return bool(service.command(store, "key_revoke", key_name=name, now=_now())["properties_set"])


def bearer_principal(store: Store, header: str) -> Principal | None:
    """The principal of an ``Authorization: Bearer <key>`` header value, else ``None``."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return key_principal(store, token.strip())


def key_principal(store: Store, key: str) -> Principal | None:
    """The key's principal when ``key`` is a current (not revoked) API key, else ``None``."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    rows = service.query(store, "key_by_hash", key_hash=key_hash(key))
    if not rows or rows[0]["revoked"]:
        return None
    return Principal(rows[0]["name"], rows[0]["role"], "api_key")
