"""What an image installs: the wheels of the services, not the source tree.

The test suites run against editable installs, which read files straight from the
source tree; an image installs wheels, which carry only what pyproject.toml declares.
A migration, seed file or contract JSON missing from `package-data` would pass every
other test and break the image at start. Here the seven wheels are built from a copy
of the sources (no network, no build isolation) and compared with the source files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from deploy_checks import REPO, SERVICES

DISTS = {
    "motcua_contracts": ("proto", REPO / "proto", ["motcua"]),
    "motcua_platform": ("services/platform", REPO / "services" / "platform" / "src", ["motcua_platform"]),
    **{
        f"motcua_{s}": (f"services/{s}", REPO / "services" / s / "src", [f"motcua_{s}"])
        for s in SERVICES
    },
}
IGNORE = shutil.ignore_patterns("tests", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    root = tmp_path_factory.mktemp("wheels")
    sources = []
    for dist, (rel, _, _) in DISTS.items():
        target = root / "src" / dist
        shutil.copytree(REPO / rel, target, ignore=IGNORE)
        sources.append(str(target))
    out = root / "out"
    out.mkdir()
    # setuptools' PEP 517 backend directly, one process per wheel, all at once:
    # through pip each wheel costs ~3 s more.
    script = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(out)], cwd=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for src in sources
    ]
    for src, proc in zip(sources, procs, strict=True):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"building the wheel of {src} failed:\n{stderr[-3000:]}"
    found = {}
    for wheel in out.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            found[wheel.name.split("-")[0]] = set(zf.namelist())
    return found


def data_files(src_root: Path, packages: list[str]) -> set[str]:
    """Files a running service may read: everything but Python sources, caches and Markdown notes."""
    files = set()
    for package in packages:
        for path in (src_root / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc", ".md") and "__pycache__" not in path.parts:
                files.add(path.relative_to(src_root).as_posix())
    return files


@pytest.mark.parametrize("dist", sorted(DISTS))
def test_wheel_carries_every_data_file(wheels: dict[str, set[str]], dist: str) -> None:
    _, src_root, packages = DISTS[dist]
    assert dist in wheels, f"no wheel built for {dist}"
    missing = sorted(data_files(src_root, packages) - wheels[dist])
    assert not missing, f"{dist}: not in the wheel (declare them in its pyproject.toml package-data): {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_wheel_has_the_service_entry_point(wheels: dict[str, set[str]], service: str) -> None:
    assert f"motcua_{service}/__main__.py" in wheels[f"motcua_{service}"]
