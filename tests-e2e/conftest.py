"""Black-box tests: start the stack like `make run` (own ports and data folder) and use only HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from e2e_stack import RunningStack, start_stack, stop_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One running stack shared by the e2e tests of a session."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture
def client(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=10) as c:
        yield c
