"""neuropilot doctor against a real database of the test cluster: one test per FAIL it can give, a clean run,
the --json shape and exit codes, and no secret in either output."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from neuropilot import backup
from neuropilot.cli import main
from neuropilot.config import Settings
from neuropilot.doctor import settings_checks
from tests.conftest import settings_for
from tests.pg import Cluster, Db

TODAY = datetime.now(UTC).date()
FRESH_KID = f"k{TODAY:%Y%m%d}-a1b2c3"
PASSPHRASE = "PLANTED-PASSPHRASE-9f8e7d6c5b4a"
Run = Callable[..., tuple[int, dict[str, tuple[str, str]]]]


@pytest.fixture(scope="module")
def backup_files(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real backup (a .dump.gpg and its manifest) that each test copies into its own backup directory."""
    source = cluster.clone()
    directory = tmp_path_factory.mktemp("doctor-backups")
    key = directory.parent / "doctor-source.key"
    key.write_text(PASSPHRASE + "\n")
    key.chmod(0o600)
    settings = settings_for(source, backup_dir=directory, backup_passphrase_file=key)
    backup.backup(settings, source.owner_dsn, say=lambda _: None)
    cluster.drop(source.name)
    return directory


@pytest.fixture
def env(database: Db, tmp_path: Path, backup_files: Path) -> dict[str, str]:
    """A production environment every check passes."""
    passphrase = tmp_path / "backup.key"
    passphrase.write_text(PASSPHRASE + "\n")
    passphrase.chmod(0o600)
    backups = tmp_path / "backups"
    shutil.copytree(backup_files, backups)
    return {
        "NEUROPILOT_ENV": "production",
        "DATABASE_URL": make_conninfo(database.app_dsn, password="PLANTED-APP-PASSWORD-1a2b3c"),
        "MIGRATOR_DATABASE_URL": make_conninfo(database.owner_dsn, password="PLANTED-OWNER-PASSWORD-4d5e6f"),
        "NEUROPILOT_APP_ROLE": database.app_role,
        "NEUROPILOT_JWT_KEYS": f"{FRESH_KID}:PLANTED-JWT-SECRET-{'x' * 40}",
        "NEUROPILOT_CORS_ORIGINS": "https://app.example.com",
        "NEUROPILOT_METRICS_TOKEN": "PLANTED-METRICS-TOKEN-" + "m" * 20,
        "NEUROPILOT_DATA_DIR": str(tmp_path / "data"),
        "NEUROPILOT_BACKUP_DIR": str(backups),
        "NEUROPILOT_BACKUP_PASSPHRASE_FILE": str(passphrase),
    }


@pytest.fixture
def run(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """neuropilot doctor --json with env (plus overrides; None unsets): its exit status and {name: (status, detail)}."""

    def doctor(**overrides: str | None) -> tuple[int, dict[str, tuple[str, str]]]:
        for name in list(os.environ):
            if name.startswith(("NEUROPILOT_", "DATABASE_", "MIGRATOR_", "REDIS_")):
                monkeypatch.delenv(name)
        for name, value in ({**env, **overrides}).items():
            if value is not None:
                monkeypatch.setenv(name, value)
        code = main(["doctor", "--json"])
        checks = json.loads(capsys.readouterr().out)["checks"]
        return code, {c["name"]: (c["status"], c["detail"]) for c in checks}

    return doctor


def failing(checks: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {name: detail for name, (status, detail) in checks.items() if status == "FAIL"}


def test_a_clean_production_environment_passes_every_check(run: Run) -> None:
    code, checks = run()
    assert {name: status for name, (status, _) in checks.items()} == dict.fromkeys(
        [
            "settings",
            "jwt_keys",
            "cors",
            "limits",
            "redis",
            "metrics_token",
            "database_tls",
            "database",
            "runtime_role",
            "row_level_security",
            "audit_log",
            "migrations",
            "backup_passphrase",
            "backup_newest",
        ],
        "PASS",
    )
    assert code == 0


def test_json_shape_text_report_and_exit_codes(
    run: Run, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run()
    assert code == 0
    assert main(["doctor", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["checks"]
    assert all(
        list(c) == ["name", "status", "detail"] and c["status"] in ("PASS", "WARN", "FAIL") for c in document["checks"]
    )
    assert all(c["detail"] and "\n" not in c["detail"] for c in document["checks"])
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:2] == ["PASS", "settings"] and text[-1] == "14 pass, 0 warn, 0 fail"
    code, checks = run(MIGRATOR_DATABASE_URL=None)  # a WARN alone still exits 0
    assert code == 0 and checks["migrations"][0] == "WARN"
    code, _ = run(NEUROPILOT_METRICS_TOKEN=None)
    assert code == 1
    monkeypatch.setenv("NEUROPILOT_WORKERS", "many")  # an environment Settings refuses is a FAIL, not a crash
    assert main(["doctor"]) == 1
    assert "FAIL  settings" in capsys.readouterr().out


def test_never_prints_a_secret(run: Run, env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    short = "PLANTED-SHORT-JWT"
    planted = {
        "NEUROPILOT_JWT_KEYS": f"{env['NEUROPILOT_JWT_KEYS']},k20200101-old:{short}",
        "REDIS_URL": "redis://default:PLANTED-REDIS-PASSWORD@127.0.0.1:1/0",
        "NEUROPILOT_WORKERS": "2",
    }
    secret_values = [
        "PLANTED-APP-PASSWORD-1a2b3c",
        "PLANTED-OWNER-PASSWORD-4d5e6f",
        "PLANTED-JWT-SECRET",
        short,
        "PLANTED-METRICS-TOKEN",
        "PLANTED-REDIS-PASSWORD",
        PASSPHRASE,
    ]
    unreachable = make_conninfo(env["DATABASE_URL"], port="1")
    for overrides in (planted, {**planted, "DATABASE_URL": unreachable, "MIGRATOR_DATABASE_URL": unreachable}):
        for args in (["doctor"], ["doctor", "--json"]):
            run(**overrides)  # sets the environment
            code = main(args)
            out, err = capsys.readouterr()
            assert code == 1 and "FAIL" in out
            leaked = [s for s in secret_values if s in out or s in err]
            assert leaked == [], leaked


# --- the environment ------------------------------------------------------------------------------


def test_production_without_database_url_fails(run: Run) -> None:
    code, checks = run(DATABASE_URL=None)
    assert code == 1
    assert "DATABASE_URL" in failing(checks)["settings"] and "not set" in failing(checks)["database"]


def test_short_jwt_key_fails_and_an_old_one_warns(run: Run, env: dict[str, str]) -> None:
    code, checks = run(NEUROPILOT_JWT_KEYS=f"{FRESH_KID}:{'s' * 31}")
    assert code == 1 and failing(checks)["jwt_keys"] == f"shorter than 32 bytes: {FRESH_KID}"
    old = TODAY - timedelta(days=91)
    code, checks = run(NEUROPILOT_JWT_KEYS=f"k{old:%Y%m%d}-ffffff:{'s' * 40}")
    assert code == 0 and checks["jwt_keys"][0] == "WARN" and "signs and is 91 days old" in checks["jwt_keys"][1]
    code, checks = run(NEUROPILOT_JWT_KEYS=f"{env['NEUROPILOT_JWT_KEYS']},k{old:%Y%m%d}-eeeeee:{'s' * 40}")
    assert checks["jwt_keys"][0] == "WARN" and "(verify only) is 91 days old" in checks["jwt_keys"][1]
    code, checks = run(NEUROPILOT_JWT_KEYS=f"current:{'s' * 40}")
    assert checks["jwt_keys"][0] == "WARN" and "no creation date" in checks["jwt_keys"][1]


def test_kid_dates_are_what_keys_generate_emits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    kid = capsys.readouterr().out.strip().partition(":")[0]
    assert settings_checks.kid_date(kid) == datetime.now(UTC).date()
    assert settings_checks.kid_date("k20261301-abc") is None


def test_cors_origins_must_be_https_in_production(run: Run) -> None:
    code, checks = run(NEUROPILOT_CORS_ORIGINS="https://app.example.com,http://app.example.com")
    assert code == 1 and failing(checks)["cors"] == "not https:// (production): http://app.example.com"
    code, checks = run(NEUROPILOT_CORS_ORIGINS="*")
    assert "'*'" in failing(checks)["cors"] and "'*'" in failing(checks)["settings"]
    code, checks = run(NEUROPILOT_ENV="development", NEUROPILOT_CORS_ORIGINS="http://localhost:5173")
    assert checks["cors"][0] == "PASS"
    code, checks = run(NEUROPILOT_ENV="development", NEUROPILOT_CORS_ORIGINS="http://kitchen.example.com")
    assert checks["cors"][0] == "WARN"


@pytest.mark.parametrize(
    "setting", ["NEUROPILOT_STATEMENT_TIMEOUT_MS", "NEUROPILOT_RATE_LIMIT_IP_PER_MIN", "NEUROPILOT_LOGIN_MAX_FAILURES"]
)
def test_a_limit_turned_off_fails(run: Run, setting: str) -> None:
    code, checks = run(**{setting: "0"})
    assert code == 1 and failing(checks)["limits"] == f"off (0): {setting}"


def test_redis(run: Run) -> None:
    code, checks = run(NEUROPILOT_WORKERS="2")
    assert code == 0 and checks["redis"][0] == "WARN" and "NEUROPILOT_WORKERS=2 without REDIS_URL" in checks["redis"][1]
    code, checks = run(NEUROPILOT_WORKERS="2", REDIS_URL="redis://127.0.0.1:1/0")
    assert code == 1 and "127.0.0.1:1 does not answer" in failing(checks)["redis"].replace("(", "").replace(")", "")
    code, checks = run(NEUROPILOT_WORKERS="2", REDIS_URL="redis://127.0.0.1:6379/0")
    assert checks["redis"][0] == "PASS"


def test_production_without_a_metrics_token_fails(run: Run) -> None:
    code, checks = run(NEUROPILOT_METRICS_TOKEN=None)
    assert code == 1 and "/metrics is open" in failing(checks)["metrics_token"]


def test_database_tls() -> None:
    def tls(dsn: str, env: str = "production") -> tuple[str, str]:
        check = settings_checks.database_tls(Settings(database_url=dsn, env=env))
        return check.status, check.detail

    assert tls("postgresql://app@db.example.com/np")[0] == "WARN"
    assert tls("postgresql://app@db.example.com/np?sslmode=prefer") == (
        "WARN",
        "sslmode=prefer: traffic can be read or downgraded; use sslmode=verify-full",
    )
    assert tls("postgresql://app@db.example.com/np?sslmode=require") == ("PASS", "sslmode=require")
    assert tls("postgresql://app@db.example.com/np?sslmode=verify-full")[0] == "PASS"
    assert tls("postgresql://app@127.0.0.1/np")[0] == "PASS"
    assert tls("postgresql://app@/np?host=/var/run/postgresql")[0] == "PASS"
    assert tls("postgresql://app@db.example.com/np", env="development")[0] == "PASS"


def test_an_unreachable_database_fails(run: Run, env: dict[str, str]) -> None:
    code, checks = run(DATABASE_URL=make_conninfo(env["DATABASE_URL"], port="1"))
    assert code == 1 and failing(checks)["database"].startswith("cannot connect with DATABASE_URL")
    assert checks["runtime_role"] == ("WARN", "not checked: no database connection")


# --- the runtime role -----------------------------------------------------------------------------


@pytest.fixture
def extra_role(cluster: Cluster) -> Iterator[Callable[[str], str]]:
    """login roles made for one test (superuser, BYPASSRLS, …), dropped after it."""
    made: list[str] = []

    def make(options: str) -> str:
        name = f"np_test_doctor_{secrets.token_hex(4)}"
        with cluster.admin() as conn:
            conn.execute(sql.SQL("create role {} login " + options).format(sql.Identifier(name)))
        made.append(name)
        return name

    yield make
    with cluster.admin() as conn:
        for name in made:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def as_role(database: Db, role: str) -> str:
    return make_conninfo(database.admin_dsn, user=role)


def test_database_url_logging_in_as_the_owner_fails(run: Run, database: Db) -> None:
    code, checks = run(DATABASE_URL=database.owner_dsn)
    assert code == 1
    detail = failing(checks)["runtime_role"]
    assert f"{database.owner_role} owns the tables" in detail and "RLS does not bind a table's owner" in detail


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ("superuser", "is a superuser"),
        ("bypassrls", "has BYPASSRLS"),
        ("createrole", "has CREATEROLE"),
        ("", "is not NEUROPILOT_APP_ROLE"),
    ],
)
def test_a_privileged_runtime_role_fails(
    run: Run, database: Db, extra_role: Callable[[str], str], options: str, reason: str
) -> None:
    role = extra_role(options)
    code, checks = run(DATABASE_URL=as_role(database, role))
    assert code == 1 and reason in failing(checks)["runtime_role"]


def test_a_member_of_the_owner_role_fails(
    run: Run, database: Db, cluster: Cluster, extra_role: Callable[[str], str]
) -> None:
    role = extra_role("")
    with cluster.admin() as conn:
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(database.owner_role), sql.Identifier(role)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(database.app_role), sql.Identifier(role)))
    code, checks = run(DATABASE_URL=as_role(database, role))
    detail = failing(checks)["runtime_role"]
    assert code == 1 and detail.startswith(f"{role} is a member of the owner role {database.owner_role}; ")
    assert "TRUNCATE on app_user" in detail  # what the membership brings with it


@pytest.mark.parametrize(
    ("grant", "reason"),
    [
        ("grant create on schema public to {app}", "CREATE on schema public"),
        ("grant truncate on item to {app}", "TRUNCATE on item"),
        ("grant references, trigger on location to {app}", "REFERENCES on location; TRIGGER on location"),
    ],
)
def test_more_than_dml_grants_fail(run: Run, owner: psycopg.Connection, database: Db, grant: str, reason: str) -> None:
    owner.execute(sql.SQL(grant).format(app=sql.Identifier(database.app_role)))
    code, checks = run()
    assert code == 1 and failing(checks)["runtime_role"] == reason


def test_create_on_the_database_fails(run: Run, cluster: Cluster, database: Db) -> None:
    with cluster.admin() as conn:
        conn.execute(
            sql.SQL("grant create on database {} to {}").format(
                sql.Identifier(database.name), sql.Identifier(database.app_role)
            )
        )
    code, checks = run()
    assert code == 1 and failing(checks)["runtime_role"] == "CREATE on the database"


# --- RLS, audit, migrations -----------------------------------------------------------------------


def test_a_table_without_rls_or_without_policies_fails(run: Run, owner: psycopg.Connection) -> None:
    owner.execute("alter table location disable row level security")
    code, checks = run()
    assert code == 1 and failing(checks)["row_level_security"] == "RLS off on location"
    owner.execute("alter table location enable row level security")
    for (policy,) in owner.execute("select polname from pg_policy where polrelid = 'item_pack'::regclass").fetchall():
        owner.execute(sql.SQL("drop policy {} on item_pack").format(sql.Identifier(policy)))
    code, checks = run()
    assert code == 1 and failing(checks)["row_level_security"] == "no policy on item_pack"


def test_a_disabled_audit_trigger_or_an_audit_update_grant_fails(
    run: Run, owner: psycopg.Connection, database: Db
) -> None:
    owner.execute("alter table audit_log disable trigger audit_log_append_only")
    code, checks = run()
    assert code == 1 and "is disabled" in failing(checks)["audit_log"]
    owner.execute("alter table audit_log enable trigger audit_log_append_only")
    owner.execute(sql.SQL("grant update on audit_log to {}").format(sql.Identifier(database.app_role)))
    code, checks = run()
    assert code == 1 and failing(checks)["audit_log"] == f"{database.app_role} may UPDATE audit_log"


def test_pending_migrations_or_stale_policies_fail_and_no_owner_dsn_warns(run: Run, owner: psycopg.Connection) -> None:
    owner.execute("update neuropilot_meta.policy_file set sha256 = 'stale' where name = 'item.sql'")
    code, checks = run()
    assert code == 1 and "policy files not applied as they are now (item.sql)" in failing(checks)["migrations"]
    owner.execute(
        "delete from neuropilot_meta.schema_migration"
        " where version = (select max(version) from neuropilot_meta.schema_migration)"
    )
    code, checks = run()
    assert code == 1 and failing(checks)["migrations"].startswith("1 pending (")
    code, checks = run(MIGRATOR_DATABASE_URL=None)
    assert (
        checks["migrations"][0] == "WARN" and "not checked: MIGRATOR_DATABASE_URL is not set" in checks["migrations"][1]
    )


# --- backups --------------------------------------------------------------------------------------


def test_the_passphrase_file_must_exist_be_non_empty_and_private(run: Run, env: dict[str, str]) -> None:
    path = Path(env["NEUROPILOT_BACKUP_PASSPHRASE_FILE"])
    path.chmod(0o640)
    code, checks = run()
    assert code == 1 and "mode 0640: readable by group or others" in failing(checks)["backup_passphrase"]
    path.write_text("\n")
    path.chmod(0o600)
    code, checks = run()
    assert code == 1 and "empty first line" in failing(checks)["backup_passphrase"]
    code, checks = run(NEUROPILOT_BACKUP_PASSPHRASE_FILE=str(path.with_name("missing.key")))
    assert code == 1 and "cannot read" in failing(checks)["backup_passphrase"]
    code, checks = run(NEUROPILOT_BACKUP_PASSPHRASE_FILE=None)
    assert code == 1 and "not set" in failing(checks)["backup_passphrase"]


def _newest(env: dict[str, str]) -> Path:
    return backup.list_backups(Path(env["NEUROPILOT_BACKUP_DIR"]))[0].path


def test_a_backup_not_matching_its_manifest_fails(run: Run, env: dict[str, str]) -> None:
    with _newest(env).open("ab") as f:
        f.write(b"\0")
    code, checks = run()
    assert code == 1 and "does not match its manifest's sha256" in failing(checks)["backup_newest"]


def test_a_backup_without_its_manifest_fails(run: Run, env: dict[str, str]) -> None:
    backup.manifest_path(_newest(env)).unlink()
    code, checks = run()
    assert code == 1 and "has no manifest" in failing(checks)["backup_newest"]


def test_an_old_backup_or_none_warns(run: Run, env: dict[str, str]) -> None:
    path = _newest(env)
    old = backup.backup_name(datetime.now(UTC) - timedelta(hours=27))
    backup.manifest_path(path).rename(backup.manifest_path(path.with_name(old)))
    path.rename(path.with_name(old))
    code, checks = run()
    assert code == 0 and checks["backup_newest"][0] == "WARN" and "27 h old" in checks["backup_newest"][1]
    for leftover in Path(env["NEUROPILOT_BACKUP_DIR"]).iterdir():
        leftover.unlink()
    code, checks = run()
    assert code == 0 and checks["backup_newest"][0] == "WARN" and "no backup in" in checks["backup_newest"][1]


def test_kid_date_boundary() -> None:
    settings = Settings(jwt_keys=((f"k{TODAY - timedelta(days=90):%Y%m%d}-a", "s" * 32),))
    assert settings_checks.jwt_keys(settings, TODAY).status == "PASS"
    assert settings_checks.jwt_keys(settings, TODAY + timedelta(days=1)).status == "WARN"
