from __future__ import annotations

import pytest
from starlette.routing import Match

from neuropilot.app import LiteralPaths, check_production, create_app
from neuropilot.cli import main
from neuropilot.config import ConfigError, Settings
from neuropilot.routes import ROUTES

GOOD = {
    "NEUROPILOT_ENV": "production",
    "DATABASE_URL": "postgresql://app@db.example/neuropilot",
    "NEUROPILOT_JWT_KEYS": "k1:" + "s" * 48,
    "NEUROPILOT_CORS_ORIGINS": "https://app.example.com",
}


def test_a_complete_production_configuration_starts() -> None:
    check_production(Settings.from_env(GOOD))
    create_app(Settings.from_env(GOOD))  # builds; the pool opens only in the lifespan


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"NEUROPILOT_JWT_KEYS": ""}, "NEUROPILOT_JWT_KEYS"),
        ({"NEUROPILOT_JWT_KEYS": "k1:too-short-a-secret"}, "shorter than 32 bytes"),
        ({"NEUROPILOT_CORS_ORIGINS": "https://app.example.com,*"}, "NEUROPILOT_CORS_ORIGINS"),
    ],
)
def test_production_refuses_unsafe_settings_saying_which(change: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        create_app(Settings.from_env(GOOD | change))


def test_development_accepts_what_production_refuses(tmp_path: object) -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql://app@db/np", "NEUROPILOT_DATA_DIR": str(tmp_path)})
    check_production(settings)


def test_the_literal_path_lookup_finds_the_route_the_router_would() -> None:
    router = create_app(Settings.from_env(GOOD)).router
    assert isinstance(router.middleware_stack, LiteralPaths)
    fixed = router.middleware_stack.by_path
    assert fixed.keys() == {op.path for op in ROUTES if "{" not in op.path}
    for path, route in fixed.items():
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            first = next(r for r in router.routes if r.matches(scope)[0] is Match.FULL)
            assert first is route, (method, path)


def test_every_route_but_login_refresh_and_health_needs_a_role() -> None:
    public = {op.path for op in ROUTES if op.roles is None}
    assert public == {
        "/health",
        "/live",
        "/ready",
        "/metrics",  # has its own token
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/openapi.json",
        "/docs",
        "/",  # the web console's page (§17): it signs in with /v1/auth/login
    }


def test_keys_generate_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    line = capsys.readouterr().out.strip()
    settings = Settings.from_env({"NEUROPILOT_ENV": "production", "NEUROPILOT_JWT_KEYS": line, "DATABASE_URL": "x"})
    check_production(settings)
    assert settings.jwt_keys[0][0].startswith("k")


@pytest.mark.parametrize(
    "origin", ["https://app.example.com/", "app.example.com", "https://app.example.com/path", "ftp://x.y"]
)
def test_an_origin_that_could_never_match_is_refused_at_start_up(origin: str) -> None:
    with pytest.raises(ConfigError, match="NEUROPILOT_CORS_ORIGINS"):
        Settings.from_env({"NEUROPILOT_CORS_ORIGINS": origin})


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("NEUROPILOT_MAX_HEADER_LINE_BYTES", "0"),
        ("NEUROPILOT_MAX_HEADER_BYTES", "-1"),
        ("NEUROPILOT_MAX_HEADERS", "many"),
        ("NEUROPILOT_HEADER_TIMEOUT_S", "0"),
        ("NEUROPILOT_HEADER_TIMEOUT_S", "nan"),
        ("NEUROPILOT_HEADER_TIMEOUT_S", "inf"),
    ],
)
def test_request_head_limits_must_be_positive(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: raw})


def test_request_head_limits_have_sane_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.max_header_line_bytes, settings.max_header_bytes, settings.max_headers) == (8192, 65536, 100)
    assert settings.header_timeout_s == 10.0
