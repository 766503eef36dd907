"""Fixtures of the deployment checks; the shared code lives in deploy_checks.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The root pytest config imports test modules with --import-mode=importlib, which does
# not put this folder on sys.path; the test modules import `deploy_checks` from here.
sys.path.insert(0, str(Path(__file__).parent))

from deploy_checks import Render, build_all


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Render]:
    """Every overlay, and the base with every combination of components."""
    return build_all(tmp_path_factory.mktemp("kustomize"))
