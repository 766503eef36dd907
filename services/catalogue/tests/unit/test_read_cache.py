"""The read cache never serves an answer computed before the last change."""

from __future__ import annotations

from motcua_catalogue.cache import ReadCache, change_channel


def test_values_are_kept_until_invalidated() -> None:
    cache = ReadCache(10)
    cache.put("k", 1, cache.generation)
    assert cache.get("k") == 1
    cache.invalidate()
    assert cache.get("k") is None


def test_an_answer_computed_before_a_change_is_not_stored() -> None:
    cache = ReadCache(10)
    started = cache.generation
    cache.invalidate()  # a publish committed while the search ran
    cache.put("k", 1, started)
    assert cache.get("k") is None


def test_least_recently_used_entries_go_first() -> None:
    cache = ReadCache(2)
    for key in "abc":
        cache.put(key, key.upper(), cache.generation)
        if key == "b":
            cache.get("a")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")


def test_suspended_cache_stores_and_serves_nothing() -> None:
    cache = ReadCache(10)
    cache.put("k", 1, cache.generation)
    cache.suspend()
    assert cache.get("k") is None
    cache.put("k", 2, cache.generation)
    cache.resume()
    assert cache.get("k") is None
    assert len(ReadCache(0)) == 0 and not ReadCache(0).enabled


def test_the_change_channel_is_per_schema_and_fits_postgres() -> None:
    assert change_channel("catalogue") == "motcua_catalogue_changed_catalogue"
    assert len(change_channel("t_" + "x" * 60)) == 63
