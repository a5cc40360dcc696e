"""Sessions, CSRF tokens and the sign-in rate limit of the web workspace (all in memory).

* **Sessions**: a random session id, signed with itsdangerous (HMAC-SHA1 over the id with the
  server's secret) in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` and named
  ``__Host-lineage`` under TLS or behind a TLS proxy). The server keeps ``id -> session``, so
  signing out ends a session everywhere at once; sessions end after 30 minutes without use
  and 8 hours after sign-in. A restart signs everyone out.
* **CSRF**: every session, even before sign-in, has a random token; every form carries it and
  every POST is refused (403) unless it matches (session-bound synchroniser token, compared in
  constant time). Signing in starts a new session (new id, new token): no session fixation.
* **Rate limit**: failed sign-ins counted per user name and per client address in a sliding
  window; over the limit, sign-in answers 429 without checking the password.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from itsdangerous import BadSignature, Signer

IDLE_SECONDS = 30 * 60
MAX_AGE_SECONDS = 8 * 3600
ANONYMOUS_SECONDS = 15 * 60
MAX_SESSIONS = 10_000


@dataclass
class Session:
    """One browser session: ``user``/``role`` are ``None`` before sign-in."""

    sid: str
    csrf: str
    user: str | None = None
    role: str | None = None
    created: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)

    def expired(self, now: float) -> bool:
        """True after the idle or absolute limit (anonymous sessions: 15 minutes idle)."""
        idle = IDLE_SECONDS if self.user else ANONYMOUS_SECONDS
        return now - self.seen > idle or now - self.created > MAX_AGE_SECONDS


class Sessions:
    """The server's sessions, signed cookies and CSRF tokens (thread-safe)."""

    def __init__(self, secret: bytes, *, secure: bool) -> None:
        self._signer = Signer(secret, salt="lineage-session")
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.secure = secure
        self.cookie_name = "__Host-lineage" if secure else "lineage_session"

    def cookie_kwargs(self) -> dict:
        """Attributes of the session cookie (for ``Response.set_cookie``)."""
        return {"key": self.cookie_name, "httponly": True, "samesite": "strict",
                "secure": self.secure, "path": "/"}

    def sign(self, sid: str) -> str:
        """The cookie value of a session id."""
        return self._signer.sign(sid.encode("ascii")).decode("ascii")

    def get(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value, else ``None`` (bad signature, unknown, expired)."""
        if not cookie:
            return None
        try:
            sid = self._signer.unsign(cookie.encode("ascii", "replace")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        now = time.monotonic()
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                return None
            if s.expired(now):
                del self._sessions[sid]
                return None
            s.seen = now
            return s

    def new(self, user: str | None = None, role: str | None = None) -> Session:
        """A new session (anonymous, or signed in as ``user``)."""
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user, role)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._prune()
            if len(self._sessions) >= MAX_SESSIONS:  # still full: drop the oldest anonymous
                for sid, old in sorted(self._sessions.items(), key=lambda x: x[1].seen):
                    if old.user is None:
                        del self._sessions[sid]
                        break
            self._sessions[s.sid] = s
        return s

    def end(self, session: Session | None) -> None:
        """End a session (sign-out)."""
        if session is not None:
            with self._lock:
                self._sessions.pop(session.sid, None)

    def end_user(self, user: str) -> None:
        """End every session of ``user`` (their account was removed)."""
        with self._lock:
            for sid in [k for k, s in self._sessions.items() if s.user == user]:
                del self._sessions[sid]

    def _prune(self) -> None:
        now = time.monotonic()
        for sid in [k for k, s in self._sessions.items() if s.expired(now)]:
            del self._sessions[sid]


def csrf_ok(session: Session | None, token: str | None) -> bool:
    """True when ``token`` is the session's CSRF token (constant-time comparison)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode("utf-8", "replace"))


class FailureLimit:
    """At most ``limit`` failures per key in the last ``window`` seconds (sliding window).

    ``retry_after(key)`` is 0 while the key may try, else the seconds until it may again.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int:
        """Seconds to wait before ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            if len(q) < self.limit:
                if not q:
                    self._fails.pop(key, None)
                return 0
            return max(1, int(self.window - (now - q[0])) + 1)

    def fail(self, key: str) -> None:
        """Count one failure of ``key``."""
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._fails) > 100_000:  # bound memory: forget keys with no recent failure
                for k in [k for k, q in self._fails.items() if not q or now - q[-1] > self.window]:
                    del self._fails[k]

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (after a successful sign-in)."""
        with self._lock:
            self._fails.pop(key, None)
