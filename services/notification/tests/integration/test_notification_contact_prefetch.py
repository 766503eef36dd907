"""Early contact look-ups: the consumer starts ResolveContact while it records the event, the planner uses that answer.

Against the real gRPC double of the dossier/scheduler services (ContactDirectory counts its calls)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from motcua_notification.contacts import ContactGone, ContactResolver
from motcua_notification.testing import (
    DOSSIER_RECEIVED,
    ContactDirectory,
    RunningNotification,
    dossier_received,
    running_notification,
)

pytestmark = pytest.mark.integration


def resolver_for(contacts: ContactDirectory, **options: Any) -> ContactResolver:
    return ContactResolver(dossier_target=contacts.address, scheduler_target=contacts.address, timeout=2.0, **options)


async def test_an_early_answer_is_used_once(contacts: ContactDirectory) -> None:
    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84912000101")
    resolver = resolver_for(contacts)
    try:
        resolver.prefetch("dossier", ref)
        await asyncio.sleep(0.2)  # answered by now
        assert contacts.calls == 1
        found = await resolver.resolve("dossier", ref)
        assert found.phone == "+84912000101" and contacts.calls == 1
        await resolver.resolve("dossier", ref)  # used up: a second resolve asks again
        assert contacts.calls == 2
    finally:
        await resolver.close()


async def test_an_erased_contact_found_early_is_gone(contacts: ContactDirectory) -> None:
    resolver = resolver_for(contacts)
    try:
        resolver.prefetch("dossier", "ct_never_existed")
        with pytest.raises(ContactGone):
            await resolver.resolve("dossier", "ct_never_existed")
        assert contacts.calls == 1
    finally:
        await resolver.close()


async def test_an_owner_that_did_not_answer_early_is_asked_again(contacts: ContactDirectory) -> None:
    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84912000103")
    resolver = resolver_for(contacts)
    try:
        contacts.unavailable = True
        resolver.prefetch("dossier", ref)
        await asyncio.sleep(0.2)  # the early look-up got UNAVAILABLE
        contacts.unavailable = False
        found = await resolver.resolve("dossier", ref)
        assert found.phone == "+84912000103" and contacts.calls == 2
    finally:
        await resolver.close()


async def test_an_old_early_answer_is_not_used(contacts: ContactDirectory) -> None:
    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84912000102")
    resolver = resolver_for(contacts, early_seconds=0.1)
    try:
        resolver.prefetch("dossier", ref)
        await asyncio.sleep(0.3)
        contacts.add(ref, phone="+84912000999")  # changed after the early look-up
        found = await resolver.resolve("dossier", ref)
        assert found.phone == "+84912000999" and contacts.calls == 2
    finally:
        await resolver.close()


async def test_early_look_ups_are_bounded(contacts: ContactDirectory) -> None:
    refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8491200020{i}") for i in range(3)]
    resolver = resolver_for(contacts, early_limit=1)
    try:
        for ref in refs:  # the first is still in flight when the others ask: they are skipped
            resolver.prefetch("dossier", ref)
        await asyncio.sleep(0.2)
        assert contacts.calls == 1
        for ref in refs:
            await resolver.resolve("dossier", ref)
        assert contacts.calls == 3
    finally:
        await resolver.close()


async def test_each_notification_costs_one_look_up(
    service: RunningNotification, contacts: ContactDirectory, publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    """The consumer's early look-up is the one the planner uses: one ResolveContact per notification, not two."""
    refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8491200030{i}") for i in range(5)]
    before = contacts.calls
    for i, ref in enumerate(refs):
        code = f"000.00.04.H15-260101-03{i:02d}"
        await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)

    async def planned() -> bool:
        return await service.pool.fetchval("SELECT count(*) FROM deliveries") == len(refs)

    assert await poll(planned)
    assert contacts.calls - before == len(refs)


async def test_the_consumer_starts_the_look_up(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, publisher: Any,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    """With no planner running at all, recording the events already looked their contacts up."""
    refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8491200040{i}") for i in range(3)]
    async with running_notification(make_settings(), db_schema, worker=False) as running:
        for i, ref in enumerate(refs):
            code = f"000.00.04.H15-260101-04{i:02d}"
            await publisher.publish(running.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)

        async def recorded() -> bool:
            return await running.pool.fetchval("SELECT count(*) FROM notifications") == len(refs)

        assert await poll(recorded)
        assert await poll(lambda: _async(contacts.calls == len(refs)))
        assert await running.pool.fetchval("SELECT count(*) FROM deliveries") == 0


async def _async(value: bool) -> bool:
    return value
