"""The secret scan CI runs (`python -m tools.secrets_scan`, .ci/run and `make secrets`) on throwaway git
repositories: a planted key in a test fixture fails it, in the tree and in history; an audited false
positive passes; an unaudited one does not. The keys are assembled at run time so this file holds none."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
AWS_KEY = "AKIA" + "QX7RJ2LMZP4WTK9B"
PRIVATE_KEY = "\n".join(
    [
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA0Zm3j6kq9" + "x" * 40,
        "-----END RSA " + "PRIVATE KEY-----",
    ],
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def scan(repo: Path) -> subprocess.CompletedProcess[str]:
    """Exactly what CI runs, pointed at another work tree."""
    return subprocess.run(
        [sys.executable, "-m", "tools.secrets_scan", "--repo", str(repo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def baseline_with(results: dict[str, list[dict[str, object]]]) -> str:
    """The project's own baseline settings (plugins, filters, exclusions) with other results."""
    data = json.loads((ROOT / ".secrets.baseline").read_text())
    return json.dumps({**data, "results": results}, indent=2)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {".secrets.baseline": baseline_with({}), "tests/conftest.py": "X = 1\n"}, "start")
    return tmp_path


def test_a_clean_repository_passes(repo: Path) -> None:
    result = scan(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret scan:" in result.stdout and result.stdout.rstrip().endswith("ok")


def test_an_aws_key_planted_in_a_test_fixture_fails_and_is_named_without_its_value(repo: Path) -> None:
    commit(repo, {"tests/fixtures/keys.py": f'KEY = "{AWS_KEY}"\n'}, "fixture")
    result = scan(repo)
    assert result.returncode == 1
    assert "SECRET tests/fixtures/keys.py:1: AWS Access Key" in result.stdout
    assert AWS_KEY not in result.stdout + result.stderr


def test_a_private_key_removed_again_is_still_found_in_history(repo: Path) -> None:
    planted = commit(repo, {"tests/fixtures/id_rsa.txt": PRIVATE_KEY + "\n"}, "oops")
    commit(repo, {"tests/fixtures/id_rsa.txt": "nothing here\n"}, "remove the key")
    assert "PRIVATE KEY" not in (repo / "tests/fixtures/id_rsa.txt").read_text()
    result = scan(repo)
    assert result.returncode == 1
    assert f"SECRET tests/fixtures/id_rsa.txt (added in commit {planted[:12]}): Private Key" in result.stdout


def test_a_rotated_secret_listed_in_the_history_file_passes(repo: Path) -> None:
    commit(repo, {"config.py": f'KEY = "{AWS_KEY}"\n'}, "oops")
    commit(repo, {"config.py": "KEY = None\n"}, "remove the key")
    first = scan(repo)
    assert first.returncode == 1
    hashed = hashlib.sha1(AWS_KEY.encode(), usedforsecurity=False).hexdigest()  # detect-secrets' hashed_secret
    commit(repo, {".secrets.history": f"{hashed}  rotated on 2026-12-01, AWS key of the test account\n"}, "allow")
    result = scan(repo)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("audited", "passes"), [(False, True), (None, False), (True, False)])
def test_a_baseline_entry_passes_only_once_audited_as_a_false_positive(
    repo: Path, audited: bool | None, passes: bool
) -> None:
    commit(repo, {"tests/conftest.py": 'PASSWORD = "correct horse battery staple"\n'}, "fixture")
    found = json.loads(
        subprocess.run(
            [sys.executable, "-m", "detect_secrets", "scan", "tests/conftest.py"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["results"]
    assert [entry["type"] for entry in found["tests/conftest.py"]] == ["Secret Keyword"]
    for entry in found["tests/conftest.py"]:
        if audited is not None:
            entry["is_secret"] = audited
    commit(repo, {".secrets.baseline": baseline_with(found)}, "baseline")
    result = scan(repo)
    assert (result.returncode == 0) is passes, result.stdout
    if not passes:
        assert "SECRET tests/conftest.py:1: Secret Keyword" in result.stdout


def test_the_projects_baseline_is_fully_audited_and_excludes_only_the_lock_files() -> None:
    data = json.loads((ROOT / ".secrets.baseline").read_text())
    entries = [entry for found in data["results"].values() for entry in found]
    assert entries, "the test fixtures' fake passwords are expected in the baseline"
    assert all(entry.get("is_secret") is False for entry in entries)
    excluded = [f["pattern"] for f in data["filters_used"] if f["path"].endswith("regex.should_exclude_file")]
    patterns = [re.compile(p) for group in excluded for p in group]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    skipped = {path for path in tracked if any(p.search(path) for p in patterns)}
    assert skipped == {"requirements.lock", "requirements-dev.lock", "requirements-build.lock"}
