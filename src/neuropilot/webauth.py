"""Browser sign-in (§17): the refresh token in a strict cookie instead of the body.

A request to /v1/auth/login, /refresh or /logout with `X-NeuroPilot-Client: web` is in cookie mode: the
refresh token travels as `__Secure-np_refresh` (HttpOnly, Secure, SameSite=Strict, Path=/v1/auth), so no
script on the page can read it. The cookie would be a CSRF lever, so cookie mode is refused (403) unless
the request is provably from this origin: the custom header (a cross-site form or plain link cannot set
it, and fetch cannot without a CORS preflight), `Sec-Fetch-Site` same-origin or none when the browser sends
it, and an `Origin` that is this server's or a configured CORS origin when the browser sends it.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.errors import Problem
from neuropilot.models import TokenPair
from neuropilot.responses import json_response
from neuropilot.tokens import REFRESH_TTL_S
from neuropilot.validation import invalid

CLIENT_HEADER = "X-NeuroPilot-Client"
COOKIE = "__Secure-np_refresh"
COOKIE_PATH = "/v1/auth"
_SAFE_FETCH_SITES = ("same-origin", "none")


def cookie_mode(request: Request, *, reads_cookie: bool) -> bool:
    """True for a browser (cookie-mode) request, after the same-origin checks; False for a body-mode one.

    reads_cookie: refresh and logout, where a cookie sent without the header is refused rather than
    ignored (something other than the console is replaying the browser's cookie)."""
    client = request.headers.get(CLIENT_HEADER)
    if client is None:
        if reads_cookie and COOKIE in request.cookies:
            raise Problem(403, f"The sign-in cookie is only accepted with the {CLIENT_HEADER}: web header.")
        return False
    if client != "web":
        raise Problem(400, f"{CLIENT_HEADER} must be 'web' (browser sign-in) or absent.")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAFE_FETCH_SITES:
        raise Problem(403, "Browser sign-in is only accepted from this site's own pages.")
    origin = request.headers.get("origin")
    if origin is not None and origin not in _allowed_origins(request):
        raise Problem(403, "Browser sign-in is not accepted from this origin.")
    return True


def _allowed_origins(request: Request) -> set[str]:
    """This server as the browser sees it (behind a TLS-terminating proxy the scheme is https although
    the request reached us over http), plus the configured CORS origins."""
    host = request.headers.get("host", "")
    own = {f"{request.url.scheme}://{host}", f"https://{host}"} if host else set()
    return own | set(request.state.settings.cors_origins)


NO_BODY = "browser sign-in sends no body: the refresh token is the cookie"


async def refuse_body(request: Request) -> None:
    """Refresh and logout in cookie mode take no body: a token sent there as well would be one to ignore or choose."""
    if await request.body():
        raise invalid("$", NO_BODY)


async def refresh_cookie(request: Request) -> str:
    await refuse_body(request)
    token = request.cookies.get(COOKIE)
    if not token:
        raise Problem(401, "Sign in: no refresh cookie.", headers={"WWW-Authenticate": "Bearer"})
    return token


def _cookie(value: str, max_age: int) -> str:
    return f"{COOKIE}={value}; HttpOnly; Secure; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={max_age}"


CLEAR_COOKIE = _cookie("", 0)


def tokens_response(pair: TokenPair) -> Response:
    """The access token in the body, the refresh token in the cookie (a JWT is cookie-safe: base64url and dots)."""
    assert isinstance(pair.refresh_token, str)
    body = msgspec.structs.replace(pair, refresh_token=msgspec.UNSET)
    return json_response(body, headers={"Set-Cookie": _cookie(pair.refresh_token, REFRESH_TTL_S)})


def cleared(problem: Problem) -> Problem:
    """A refused refresh also drops the cookie: it is dead (spent, revoked or expired) and only costs a request."""
    problem.headers = {**problem.headers, "Set-Cookie": CLEAR_COOKIE}
    return problem
