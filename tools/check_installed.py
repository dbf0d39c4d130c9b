"""`make install`'s last step: every requirement of the installed project, with its dev and embedded
extras, is installed at a version it allows. It fails when pyproject.toml gained or changed a dependency
and the lock did not follow (`pip check` alone misses that for extras): run `make lock`."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

EXTRAS = ("", "dev", "embedded")


def unmet(project: str = "neuropilot") -> list[str]:
    problems = []
    for line in distribution(project).requires or []:
        req = Requirement(line)
        if canonicalize_name(req.name) == project:
            continue  # the dev extra naming the embedded one
        if req.marker is not None and not any(req.marker.evaluate({"extra": extra}) for extra in EXTRAS):
            continue
        try:
            found = version(req.name)
        except PackageNotFoundError:
            problems.append(f"{req}: not installed")
            continue
        if not req.specifier.contains(found, prereleases=True):
            problems.append(f"{req}: {found} installed")
    return problems


def main() -> int:
    problems = unmet()
    for problem in problems:
        print(f"unmet requirement {problem}")
    if problems:
        print("requirements-dev.lock does not satisfy pyproject.toml: run 'make lock' (README \"Supply chain\")")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
