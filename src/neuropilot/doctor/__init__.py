"""`neuropilot doctor`: the pre-deploy check (CONTRACT §18), run against the configured environment.

Every check gives PASS, WARN or FAIL with one line of reason, in a fixed order, so two runs against the
same environment print the same report. Nothing secret is ever printed: the details never quote a DSN,
a key or a token, and every line is scrubbed of the secrets the environment holds before it is shown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from neuropilot.config import ConfigError, Settings
from neuropilot.doctor import backup_checks, database_checks, settings_checks
from neuropilot.doctor.report import Check, scrub, secrets_of


def run(env: Mapping[str, str]) -> list[Check]:
    """All checks, in report order."""
    try:
        settings = Settings.from_env(env)
    except ConfigError as exc:
        return [Check.fail("settings", f"the environment does not describe a runnable service: {exc}")]
    return [
        *settings_checks.run(settings),
        *database_checks.run(settings),
        *backup_checks.run(settings),
    ]


def render_text(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{c.status:<4}  {c.name:<{width}}  {c.detail}" for c in checks]
    counts = {s: sum(1 for c in checks if c.status == s) for s in ("PASS", "WARN", "FAIL")}
    lines.append(f"{counts['PASS']} pass, {counts['WARN']} warn, {counts['FAIL']} fail")
    return "\n".join(lines)


def render_json(checks: list[Check]) -> str:
    return json.dumps({"checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in checks]}, indent=2)


def main(as_json: bool, env: Mapping[str, str] | None = None) -> int:
    """Print the report; 1 when any check FAILs, else 0."""
    env = os.environ if env is None else env
    checks = scrub(run(env), secrets_of(env))
    print(render_json(checks) if as_json else render_text(checks))
    return 1 if any(c.status == "FAIL" for c in checks) else 0
