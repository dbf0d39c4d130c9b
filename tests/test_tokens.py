"""Forged and malformed tokens of every kind: each is a 401 with WWW-Authenticate, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from neuropilot.config import ConfigError, Settings
from neuropilot.tokens import LEEWAY_S, VERIFIED_CACHE_SIZE, TokenError, Tokens, load_keys
from tests.conftest import JWT_KEYS, Person

KID, SECRET = JWT_KEYS[0]
USER = "00000000-0000-4000-8000-000000000001"


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid access token's claims. Some are made when the module is collected and used many minutes
    later in a long run, so they stay valid for hours: a refusal is then never for expiry by accident."""
    now = int(time.time())
    base = {"sub": USER, "email": "a@example.com", "role": "admin", "iat": now, "exp": now + 6 * 3600, "jti": "j1"}
    return {k: v for k, v in (base | overrides).items() if v is not None}


def sign(payload: dict[str, Any], key: str = SECRET, kid: Any = KID, alg: str = "HS256") -> str:
    headers = {} if kid is None else {"kid": kid}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def by_hand(payload: dict[str, Any], header: dict[str, Any], key: str | None = None) -> str:
    """A token built without PyJWT's checks: any header, HS256-signed with key, or unsigned."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{_b64(signature)}"


FORGED = {
    "alg-none": by_hand(claims(), {"alg": "none", "typ": "JWT", "kid": KID}),
    "alg-none-no-kid": by_hand(claims(), {"alg": "none"}),
    "alg-none-signed": by_hand(claims(), {"alg": "none", "kid": KID}, SECRET),
    "alg-hs512": sign(claims(), alg="HS512"),
    "alg-hs384": sign(claims(), alg="HS384"),
    "bad-signature": sign(claims(), key="x" * 64),
    "unknown-kid": sign(claims(), kid="nobody"),
    "missing-kid": sign(claims(), kid=None),
    "numeric-kid": by_hand(claims(), {"alg": "HS256", "kid": 1}, SECRET),
    "list-kid": by_hand(claims(), {"alg": "HS256", "kid": [KID]}, SECRET),
    "path-kid": by_hand(claims(), {"alg": "HS256", "kid": "../../etc/passwd"}, SECRET),
    "header-alg-missing": by_hand(claims(), {"kid": KID}, SECRET),
    "expired": sign(claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "iat-in-future": sign(claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)),
    "nbf-in-future": sign(claims(nbf=int(time.time()) + 3600)),
    "missing-sub": sign(claims(sub=None)),
    "missing-role": sign(claims(role=None)),
    "missing-exp": sign(claims(exp=None)),
    "missing-jti": sign(claims(jti=None)),
    "non-numeric-exp": sign(claims(exp="tomorrow")),
    "sub-not-uuid": sign(claims(sub="admin")),
    "unknown-role": sign(claims(role="superuser")),
    "refresh-as-access": sign(claims(type="refresh", role=None, email=None)),
    "garbage": "not.a.jwt",
    "empty-segments": "..",
    "huge": "a" * 5000,
}


@pytest.mark.parametrize("token", FORGED.values(), ids=FORGED.keys())
def test_forged_token_is_refused(token: str) -> None:
    with pytest.raises(TokenError):
        Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).verify_access(token)


@pytest.mark.parametrize("token", FORGED.values(), ids=FORGED.keys())
def test_forged_token_is_a_401_over_http(client: TestClient, token: str) -> None:
    db = client.app_state["db"]
    before = db.pool.get_stats().get("requests_num", 0)
    r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"
    assert db.pool.get_stats().get("requests_num", 0) == before, "a refused token must not take a connection"


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"],
)
def test_malformed_authorization_header_is_a_401(client: TestClient, header: str) -> None:
    r = client.get("/v1/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_missing_token_is_a_401(client: TestClient) -> None:
    r = client.get("/v1/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_token_in_query_string_is_refused_even_when_valid(client: TestClient, people: dict[str, Person]) -> None:
    token = people["admin"].headers["Authorization"].split()[1]
    r = client.get(f"/v1/me?access_token={token}")
    assert r.status_code == 401
    r = client.get(f"/v1/me?access_token={token}", headers=people["admin"].headers)
    assert r.status_code == 401


def test_valid_token_of_either_configured_key_is_accepted(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"]
    for kid, secret in JWT_KEYS:  # rotation: the first signs, every configured key verifies
        token = sign(claims(sub=admin.id, email=admin.email), key=secret, kid=kid)
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_tokens_are_signed_with_the_first_key_and_carry_the_contract_claims() -> None:
    tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
    access = tokens.issue_access(USER, "a@example.com", "viewer")
    assert jwt.get_unverified_header(access) == {"alg": "HS256", "typ": "JWT", "kid": KID}
    body = jwt.decode(access, SECRET, algorithms=["HS256"])
    assert set(body) == {"sub", "email", "role", "iat", "exp", "jti"}
    assert body["exp"] - body["iat"] == 900
    refresh, _ = tokens.issue_refresh(USER)
    body = jwt.decode(refresh, SECRET, algorithms=["HS256"])
    assert set(body) == {"sub", "type", "iat", "exp", "jti"} and body["type"] == "refresh"
    assert body["exp"] - body["iat"] == 90 * 24 * 3600
    with pytest.raises(TokenError):
        tokens.verify_refresh(access)  # an access token sent to refresh
    with pytest.raises(TokenError):
        tokens.verify_access(refresh)


def test_a_retired_key_no_longer_verifies() -> None:
    old = Tokens(load_keys(Settings(jwt_keys=(JWT_KEYS[1],)))).issue_access(USER, "a@example.com", "admin")
    with pytest.raises(TokenError):
        Tokens(load_keys(Settings(jwt_keys=(JWT_KEYS[0],)))).verify_access(old)


@pytest.mark.parametrize(
    "keys", ["k1:short", "k1", ":secretsecretsecretsecretsecretsecret", "k1:" + "s" * 40 + ",k1:" + "t" * 40]
)
def test_bad_key_configuration_is_refused(keys: str) -> None:
    with pytest.raises(ConfigError):
        load_keys(Settings.from_env({"NEUROPILOT_JWT_KEYS": keys}))


def test_development_key_is_generated_once_and_kept(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path)
    first, second = load_keys(settings), load_keys(settings)
    assert first == second and len(first[0][1]) >= 32
    assert (tmp_path / "jwt_keys").stat().st_mode & 0o077 == 0


def test_production_without_keys_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="NEUROPILOT_JWT_KEYS"):
        load_keys(Settings(env="production"))


def test_hand_built_token_is_accepted_so_the_forgeries_above_are_meaningful() -> None:
    assert Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).verify_access(
        by_hand(claims(), {"alg": "HS256", "kid": KID}, SECRET)
    )


def test_uuid_subject_is_required() -> None:
    token = sign(claims(sub=str(uuid.uuid4()).upper()))
    with pytest.raises(TokenError):
        Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).verify_access(token)


def test_verified_tokens_are_cached_by_their_exact_text_only() -> None:
    """A cached token answers without verifying again; a token differing in any byte (a forged
    signature, an edited payload) is verified on its own and refused."""
    tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
    good = sign(claims(role="viewer"))
    assert tokens.verify_access(good).role == "viewer"
    header, payload, signature = good.split(".")
    tampered = [
        f"{header}.{payload}.{signature[:-2]}AA",
        f"{header}.{_b64(json.dumps(claims(role='admin')).encode())}.{signature}",
        f"{header}.{payload}.",
    ]
    for token in tampered:
        with pytest.raises(TokenError):
            tokens.verify_access(token)
    assert tokens.verify_access(good).role == "viewer"


def test_a_cached_token_still_expires() -> None:
    tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
    now = int(time.time())
    token = sign(claims(iat=now - 60, exp=now - LEEWAY_S + 1))  # valid for about one more second
    assert tokens.verify_access(token)
    time.sleep(1.5)
    with pytest.raises(TokenError, match="expired"):
        tokens.verify_access(token)


def test_the_verified_cache_is_bounded() -> None:
    tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
    signed = [sign(claims(jti=f"j{n}")) for n in range(VERIFIED_CACHE_SIZE + 10)]
    for token in signed:
        tokens.verify_access(token)
    assert len(tokens._verified) == VERIFIED_CACHE_SIZE
    assert signed[0] not in tokens._verified and signed[-1] in tokens._verified


NOW = int(time.time())


def wrong_types(sub: str = USER) -> dict[str, str]:
    """Validly signed tokens whose claims have the wrong JSON type, for the user sub."""
    return {
        name: by_hand(payload | {"sub": sub} if "sub" not in name else payload, {"alg": "HS256", "kid": KID}, SECRET)
        for name, payload in WRONG_TYPES.items()
    } | {
        "exp-5000-digits": by_hand_raw(json.dumps(claims(exp=None, sub=sub))[:-1] + ', "exp": ' + "9" * 5000 + "}"),
        "exp-1e999": by_hand_raw(json.dumps(claims(exp=None, sub=sub))[:-1] + ', "exp": 1e999}'),
    }


WRONG_TYPES = {
    "role-list": claims(role=["admin"]),
    "role-object": claims(role={"admin": True}),
    "role-number": claims(role=1),
    "role-null": claims() | {"role": None},
    "email-list": claims(email=["a@example.com"]),
    "email-number": claims(email=5),
    "sub-list": claims(sub=[USER]),
    "sub-object": claims(sub={"id": USER}),
    "jti-number": claims(jti=7),
    "jti-list": claims(jti=["j1"]),
    "type-list": claims(type=["access"]),
    "exp-string": claims(exp=str(NOW + 6 * 3600)),
    "iat-string": claims(iat=str(NOW)),
    "nbf-string": claims(nbf=str(NOW - 10)),
    "exp-true": claims(exp=True),
    "iat-true": claims(iat=True),
    "nbf-false": claims(nbf=False),
    "exp-null": claims() | {"exp": None},
    "nbf-null": claims() | {"nbf": None},
    "exp-list": claims(exp=[NOW + 6 * 3600]),
    "exp-object": claims(exp={"at": NOW + 6 * 3600}),
    "exp-infinite": claims(exp=float("inf")),
    "iat-infinite": claims(iat=float("-inf")),
    "exp-nan": claims(exp=float("nan")),
}


def by_hand_raw(payload: str) -> str:
    """An HS256 token over a payload given as JSON text (numbers json.dumps cannot write)."""
    header = _b64(json.dumps({"alg": "HS256", "kid": KID}).encode())
    signing_input = f"{header}.{_b64(payload.encode())}"
    return f"{signing_input}.{_b64(hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())}"


TYPED = list(wrong_types())


@pytest.mark.parametrize("name", TYPED)
def test_claims_of_the_wrong_json_type_are_refused_and_never_cached(name: str) -> None:
    token = wrong_types()[name]
    tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
    for _ in range(2):  # the second time would be answered from the verified-token cache, if it were there
        with pytest.raises(TokenError):
            tokens.verify_access(token)
    assert tokens._verified == {}


@pytest.mark.parametrize("name", TYPED)
def test_claims_of_the_wrong_json_type_are_a_401_over_http(
    client: TestClient, people: dict[str, Person], name: str
) -> None:
    """Tokens for a real, active user: only the claim's type is wrong."""
    token = wrong_types(people["admin"].id)[name]
    assert client.get("/v1/me", headers=people["admin"].headers).status_code == 200
    for _ in range(2):
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"


def test_numeric_dates_may_be_fractional() -> None:
    """NumericDate is any JSON number: 1700000000.5 is a time, so it is accepted."""
    now = int(time.time())  # not NOW: the module was collected long before this runs in a full suite
    token = by_hand(claims(exp=now + 600.5, iat=now - 0.25, nbf=now - 1.5), {"alg": "HS256", "kid": KID}, SECRET)
    assert Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).verify_access(token).role == "admin"


@pytest.mark.parametrize(
    "payload",
    [claims(type="refresh", role=None, email=None, exp=str(NOW + 600)), claims(type=["refresh"], role=None)],
    ids=["refresh-exp-string", "refresh-type-list"],
)
def test_refresh_tokens_are_typed_too(payload: dict[str, Any]) -> None:
    with pytest.raises(TokenError):
        Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).verify_refresh(
            by_hand(payload, {"alg": "HS256", "kid": KID}, SECRET)
        )
