"""Secret scan of the tracked tree and of every line its git history ever added (CI, `make secrets`).

The plugins and filters are detect-secrets', as configured in `.secrets.baseline`. A finding in the tree
passes only when the baseline holds it *and* a person audited it as a false positive (`is_secret: false`,
`detect-secrets audit .secrets.baseline`): a new finding, an unaudited one, or one audited as real fails.

detect-secrets scans files, not history, so history is covered this way: every line a commit of HEAD's
history added (`git log -p HEAD`; every ref with --all-refs), minus the lines the same path still holds
(the tree scan covers those), is written per path into a scratch tree under the same relative path — path
filters and file-type rules apply as in the tree — and scanned the same way. A history finding passes when
its hash is audited false in the baseline, or listed in `.secrets.history` (one `<hashed_secret> <reason>`
a line: a secret that did leak, was rotated, and cannot be removed from published history).
Nothing printed ever holds a secret's value: findings name the file, line or commit, and the kind.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.core import baseline as ds_baseline
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.secrets_collection import SecretsCollection

BASELINE = ".secrets.baseline"
HISTORY_ALLOW = ".secrets.history"


@dataclass(frozen=True)
class Finding:
    where: str  # "path:line" or "path (added in commit abc123)"
    kind: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.problem}"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "core.quotePath=false", *args], check=True, capture_output=True, text=True
    ).stdout


def tracked_files(repo: Path) -> list[str]:
    return [p for p in git(repo, "ls-files", "-z").split("\0") if p and (repo / p).is_file()]


def added_lines(log: str) -> Iterator[tuple[str, str, str]]:
    """(commit, path, line) for every added line of a `git log -p --format=%x00%H` stream."""
    commit, path, in_hunk = "", "", False
    for line in log.split("\n"):
        if line.startswith("\0"):
            commit, path, in_hunk = line[1:], "", False
        elif line.startswith("diff --git "):
            path, in_hunk = "", False
        elif not in_hunk and line.startswith("+++ "):
            target = line[4:].strip('"')
            path = target[2:] if target.startswith("b/") else ""
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and path and line.startswith("+"):
            yield commit, path, line[1:]


def history_only_lines(
    repo: Path, current: Iterable[str], skip: set[str], refs: list[str]
) -> dict[str, dict[str, str]]:
    """path -> {line: first commit that added it}, for added lines the path no longer holds."""
    log = git(repo, "log", *refs, "-p", "-U0", "--no-color", "--no-renames", "--no-ext-diff", "--format=%x00%H")
    now: dict[str, set[str]] = {}
    for path in current:
        try:
            now[path] = set((repo / path).read_text(errors="replace").splitlines())
        except OSError:
            now[path] = set()
    found: dict[str, dict[str, str]] = {}
    for commit, path, line in added_lines(log):
        if path in skip or line in now.get(path, ()):
            continue
        found.setdefault(path, {})[line] = commit  # git log runs newest first: the last write is the oldest
    return found


def audited_false(known: SecretsCollection) -> set[str]:
    return {s.secret_hash for secrets in known.data.values() for s in secrets if s.is_secret is False}


def judge_tree(found: SecretsCollection, known: SecretsCollection) -> list[Finding]:
    problems = []
    for path in sorted(found.files):
        audited = {_key(s): s for s in known.data.get(path, set())}
        for secret in sorted(found.data[path], key=lambda s: s.line_number):
            entry = audited.get(_key(secret))
            if entry is None:
                problem = "not in .secrets.baseline (remove it, or audit it as a false positive)"
            elif entry.is_secret is None:
                problem = "in .secrets.baseline but not audited (detect-secrets audit .secrets.baseline)"
            elif entry.is_secret:
                problem = "audited as a real secret: remove and rotate it"
            else:
                continue
            problems.append(Finding(f"{path}:{secret.line_number}", secret.type, problem))
    return problems


def scan_history(repo: Path, lines: dict[str, dict[str, str]], allowed: set[str]) -> list[Finding]:
    problems: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="secrets-history-") as scratch:
        root = Path(scratch)
        for path, by_line in lines.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            # One history line per scratch line: a stray carriage return must not split one in two.
            target.write_text("".join(line.replace("\r", " ") + "\n" for line in by_line))
        found = SecretsCollection(root=str(root))
        for path in lines:
            found.scan_file(path)
        for path in sorted(found.files):
            text = list(lines[path])
            for secret in sorted(found.data[path], key=lambda s: s.line_number):
                if secret.secret_hash in allowed:
                    continue
                line = text[secret.line_number - 1] if 0 < secret.line_number <= len(text) else ""
                commit = lines[path].get(line, "unknown")[:12]
                problems.append(Finding(f"{path} (added in commit {commit})", secret.type, _history_problem()))
    return problems


def _history_problem() -> str:
    return f"in git history: rotate it, then list its hashed_secret in {HISTORY_ALLOW} with the reason"


def history_allowlist(repo: Path) -> set[str]:
    path = repo / HISTORY_ALLOW
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].split() for line in path.read_text().splitlines())
    return {words[0] for words in lines if words}


def scan(repo: Path, baseline_path: Path, history: list[str] | None) -> int:
    started = time.monotonic()
    known = ds_baseline.load(ds_baseline.load_from_file(str(baseline_path)), str(baseline_path.relative_to(repo)))
    files = tracked_files(repo)
    found = SecretsCollection(root=str(repo))
    for path in files:
        found.scan_file(path)
    problems = judge_tree(found, known)
    lines: dict[str, dict[str, str]] = {}
    if history is not None:
        lines = history_only_lines(repo, files, {str(baseline_path.relative_to(repo))}, history)
        problems += scan_history(repo, lines, audited_false(known) | history_allowlist(repo))
    stale = sorted(f"{s.filename}:{s.line_number}" for s in _stale(found, known))
    for problem in problems:
        print(f"SECRET {problem}")
    if stale:
        print(f"note: baseline entries no longer found (refresh with detect-secrets scan --baseline): {stale}")
    summary = (
        f"secret scan: {len(files)} tracked files, {sum(map(len, lines.values()))} history-only lines,"
        f" {sum(len(s) for s in found.data.values())} audited findings, {time.monotonic() - started:.1f} s"
    )
    print(f"{summary}: {'FAILED, ' + str(len(problems)) + ' finding(s)' if problems else 'ok'}")
    return 1 if problems else 0


def _key(secret: PotentialSecret) -> tuple[str, str]:
    """What makes a finding the same one: the secret's hash and kind (the file is the dict key it sits under)."""
    return secret.secret_hash, secret.type


def _stale(found: SecretsCollection, known: SecretsCollection) -> Iterator[PotentialSecret]:
    for path, secrets in known.data.items():
        now = {_key(s) for s in found.data.get(path, set())}
        yield from (s for s in secrets if _key(s) not in now)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.secrets_scan", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="git work tree to scan (default: here)")
    parser.add_argument("--no-history", action="store_true", help="scan the tracked tree only")
    parser.add_argument(
        "--all-refs", action="store_true", help="history of every ref, not only of HEAD (what CI is judging)"
    )
    args = parser.parse_args(argv)
    repo = Path(git(args.repo, "rev-parse", "--show-toplevel").strip())
    baseline_path = repo / BASELINE
    if not baseline_path.is_file():
        print(f"SECRET SCAN NOT RUN: {baseline_path} is missing")
        return 2
    json.loads(baseline_path.read_text())  # a broken baseline is an error, not an empty allowlist
    refs = ["--all"] if args.all_refs else ["HEAD"]
    return scan(repo, baseline_path, None if args.no_history else refs)


if __name__ == "__main__":
    sys.exit(main())
