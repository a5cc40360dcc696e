"""Who is asking, and may they: request dependencies shared by the pages and the API.

* The API authenticates by ``Authorization: Bearer <API key>`` only (no cookies, so no CSRF to
  forge): missing or unknown key 401, a role without the permission 403.
* Pages authenticate by the session cookie: not signed in, the browser goes to ``/signin``;
  a role without the permission 403. Every POST must carry the session's CSRF token (403).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lineage.web import accounts
from lineage.web.accounts import Principal
from lineage.web.app import SignInRequired, Workspace
from lineage.web.security import Session, csrf_ok

bearer = HTTPBearer(auto_error=False, scheme_name="apiKey",
                    description="an API key from `lineage keys create NAME --role ROLE`")


def workspace(request: Request) -> Workspace:
    """The application's :class:`Workspace`."""
    return request.app.state.ws


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def api_key_principal(request: Request,
                      _creds: HTTPAuthorizationCredentials | None = Depends(bearer)
                      ) -> Principal:
    """The API key's principal, found by the application's authentication middleware (which
    answers 401 itself for a missing, unknown or revoked key)."""
    p = getattr(request.state, "principal", None)
    if p is None:
        raise _unauthorized("an API key is needed: send 'Authorization: Bearer <key>'")
    return p


def api_can(permission: str) -> Callable[..., Principal]:
    """Dependency: the API key's principal, which must have ``permission`` (else 403)."""

    def dep(p: Principal = Depends(api_key_principal)) -> Principal:
        if not p.can(permission):
            raise HTTPException(403, f"the role {p.role!r} may not use this ({permission})")
        return p

    return dep


def api_inventory(request: Request,
                  creds: HTTPAuthorizationCredentials | None = Depends(bearer)
                  ) -> Principal | None:
    """The inventory is public with ``--public-inventory``; otherwise it needs a key whose role
    may read it."""
    if workspace(request).config.public_inventory and creds is None:
        return None
    p = api_key_principal(request, creds)
    if not p.can("inventory"):
        raise HTTPException(403, f"the role {p.role!r} may not use this (inventory)")
    return p


# --- pages ---------------------------------------------------------------------------------------

def page_session(request: Request) -> Session | None:
    """The browser's live session (signed in or not), or ``None``."""
    ws = workspace(request)
    return ws.sessions.get(request.cookies.get(ws.sessions.cookie_name))


def signed_in(request: Request) -> tuple[Session, Principal]:
    """The session and its user, checked against the graph on every request (a removed user
    or a changed role takes effect at once). Not signed in: :class:`SignInRequired`."""
    ws = workspace(request)
    s = page_session(request)
    if s is None or s.user is None:
        raise SignInRequired()
    p = accounts.user(ws.store, s.user)
    if p is None:
        ws.sessions.end_user(s.user)
        raise SignInRequired()
    s.role = p.role
    request.state.session = s
    return s, p


def page_can(permission: str) -> Callable[..., tuple[Session, Principal]]:
    """Dependency: the signed-in session and user, who must have ``permission`` (else 403)."""

    def dep(request: Request) -> tuple[Session, Principal]:
        s, p = signed_in(request)
        if not p.can(permission):
            raise HTTPException(403, f"your role ({p.role}) may not open this page")
        return s, p

    return dep


def require_csrf(session: Session | None, token: str | None) -> None:
    """Refuse (403) a form whose CSRF token is missing or not the session's."""
    if not csrf_ok(session, token):
        raise HTTPException(403, "the form's security token is missing or does not match: "
                                 "reload the page and try again")
