"""Batched contact look-ups: dossier contacts asked together go in one ResolveContacts call, each answered alone.

Against the real gRPC double of the dossier service (ContactDirectory counts references and batch calls)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from motcua_notification import contacts as contacts_module
from motcua_notification.contacts import ContactGone, ContactResolver, ContactUnavailable
from motcua_notification.testing import ContactDirectory

pytestmark = pytest.mark.integration


def resolver_for(contacts: ContactDirectory, **options: object) -> ContactResolver:
    return ContactResolver(dossier_target=contacts.address, scheduler_target=contacts.address, timeout=2.0,
                           **options)  # type: ignore[arg-type]


def _refs(contacts: ContactDirectory, n: int) -> list[str]:
    return [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8491200{i:04d}") for i in range(n)]


async def test_look_ups_that_arrive_together_share_one_call_and_each_gets_its_own_answer(
    contacts: ContactDirectory,
) -> None:
    refs = _refs(contacts, 20)
    resolver = resolver_for(contacts, batch_in_flight=1)
    try:
        asked = [*refs[:10], "ct_erased_or_unknown", *refs[10:]]
        answers = await asyncio.gather(*(resolver.resolve("dossier", r) for r in asked), return_exceptions=True)
        assert isinstance(answers[10], ContactGone)
        phones = [a.phone for a in answers if not isinstance(a, BaseException)]
        assert phones == [f"+8491200{i:04d}" for i in range(20)]
        assert contacts.calls == 21 and contacts.batch_calls == 2  # the first alone, the 20 that queued meanwhile
        await resolver.resolve("scheduler", refs[0])  # the scheduler has no batch call: one call each
        assert contacts.batch_calls == 2 and contacts.calls == 22
    finally:
        await resolver.close()


async def test_an_unavailable_owner_fails_each_look_up_of_the_call_as_unavailable(contacts: ContactDirectory) -> None:
    refs = _refs(contacts, 5)
    resolver = resolver_for(contacts)
    try:
        contacts.unavailable = True
        answers = await asyncio.gather(*(resolver.resolve("dossier", r) for r in refs), return_exceptions=True)
        assert all(isinstance(a, ContactUnavailable) for a in answers)
        contacts.unavailable = False
        assert (await resolver.resolve("dossier", refs[0])).phone == "+84912000000"
    finally:
        await resolver.close()


async def test_a_registry_without_the_batch_call_is_asked_one_contact_at_a_time(
    contacts: ContactDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = _refs(contacts, 6)
    monkeypatch.setattr(contacts_module, "BATCH_RETRY_SECONDS", 0.5)
    contacts.batch_rpc = False
    resolver = resolver_for(contacts, batch_in_flight=1)
    try:
        answers = await asyncio.gather(*(resolver.resolve("dossier", r) for r in refs))
        assert [a.phone for a in answers] == [f"+8491200{i:04d}" for i in range(6)]
        assert contacts.batch_calls == 0 and contacts.calls == 6  # single calls only (the batch calls failed)
        contacts.batch_rpc = True  # upgraded meanwhile: still single calls until the retry time
        await resolver.resolve("dossier", refs[0])
        assert contacts.batch_calls == 0 and contacts.calls == 7
        await asyncio.sleep(0.6)  # the retry time (a minute in service; shortened here)
        await resolver.resolve("dossier", refs[1])
        assert contacts.batch_calls == 1 and contacts.calls == 8
    finally:
        await resolver.close()
