"""The lock files pin, with hashes, everything pyproject.toml asks for, agree with each other, and are what
`make install` and the image install (README "Supply chain"). A failure here means: run `make lock`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
PY311 = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux"}


def locked(name: str) -> dict[str, tuple[str, list[str], Requirement]]:
    """name -> (version, hashes, requirement) of every entry of a hash-pinned requirements file."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / name).read_text())
    entries = {}
    for line in text.splitlines():
        if not line or line[0] in "# -":
            continue
        spec, *hashes = line.split(" --hash=")
        req = Requirement(spec.strip())
        (version,) = [s.version for s in req.specifier if s.operator == "=="]
        entries[canonicalize_name(req.name)] = (version, [h.strip() for h in hashes], req)
    return entries


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def wanted(*groups: str) -> list[Requirement]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    reqs = [Requirement(r) for r in project["dependencies"]]
    for group in groups:
        reqs += [Requirement(r) for r in project["optional-dependencies"][group]]
    return [r for r in reqs if canonicalize_name(r.name) != "neuropilot"]


def assert_satisfied(lock: str, reqs: list[Requirement]) -> None:
    pins = locked(lock)
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate(PY311):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in {lock}: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), f"{lock} pins {name} {pins[name][0]}: {req}"


def test_every_pin_carries_hashes() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock", "requirements-build.lock"):
        for name, (_, hashes, _) in locked(lock).items():
            assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{lock}: {name}"


def test_the_locks_satisfy_pyproject() -> None:
    assert_satisfied("requirements.lock", wanted())
    assert_satisfied("requirements-dev.lock", wanted("embedded", "dev"))
    build = [Requirement(r) for r in pyproject()["build-system"]["requires"]]  # type: ignore[index]
    assert_satisfied("requirements-build.lock", build)
    assert_satisfied("requirements-dev.lock", build)


def test_the_runtime_and_build_locks_agree_with_the_dev_lock() -> None:
    dev = locked("requirements-dev.lock")
    for lock in ("requirements.lock", "requirements-build.lock"):
        for name, (version, hashes, _) in locked(lock).items():
            assert name in dev and dev[name][0] == version, f"{lock} pins {name} {version}, the dev lock differs"
            assert set(hashes) <= set(dev[name][1]), f"{name}: hashes differ between {lock} and the dev lock"


def test_make_install_and_the_image_install_only_what_the_locks_pin() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock" in makefile
    assert "uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e ." in makefile
    assert "pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.lock" in makefile
    image = (ROOT / "Containerfile").read_text()
    assert "--require-hashes -r requirements.lock" in image and "--require-hashes -r requirements-build.lock" in image
    installs = [line for line in image.splitlines() if "pip install" in line or "pip wheel" in line]
    assert all("--require-hashes" in line or "--no-deps" in line for line in installs), installs
