"""After start-up the collector ignores the start-up heap and runs less often, and still frees cyclic garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from motcua_platform.runtime import YOUNG_GENERATION_THRESHOLD, freeze_startup_heap


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector can free it


def test_the_start_up_heap_is_frozen_and_young_collections_are_rarer(collector: None) -> None:
    older = gc.get_threshold()[1:]
    freeze_startup_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *older)


def test_cyclic_garbage_is_still_collected_after_the_threshold(collector: None) -> None:
    freeze_startup_heap()
    node = _Node()
    gone = weakref.ref(node)
    del node
    kept = [[] for _ in range(YOUNG_GENERATION_THRESHOLD // 2)]
    assert gone() is not None, "collected before the threshold: the young generation threshold was not raised"
    kept += [[] for _ in range(YOUNG_GENERATION_THRESHOLD)]  # past the threshold: an automatic collection runs
    assert gone() is None
    assert len(kept) > YOUNG_GENERATION_THRESHOLD
