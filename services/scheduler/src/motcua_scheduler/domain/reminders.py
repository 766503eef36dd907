"""Which reminder of a confirmed booking to send now, and which to skip for good.

A reminder of kind K is due from `starts_at - offset(K)` until the visit starts. It is
only worth sending if the booking was confirmed (for its current slot) before that
moment: a booking made 20 hours ahead gets its confirmation, not a "tomorrow" reminder
a second later. When several are due at once (the service was down), only the nearest
to the visit is sent and the others are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from motcua_scheduler.domain.model import ReminderKind


def reminders_due(
    *,
    starts_at: datetime,
    basis_at: datetime,
    now: datetime,
    offsets: Mapping[ReminderKind, timedelta],
    done: Collection[ReminderKind] = (),
) -> tuple[ReminderKind | None, list[ReminderKind]]:
    """Return (kind to send now or None, kinds to record as skipped)."""
    if now >= starts_at:
        return None, []
    due = sorted(
        (k for k, offset in offsets.items() if k not in done and now >= starts_at - offset),
        key=lambda k: offsets[k],
    )
    if not due:
        return None, []
    nearest = due[0]
    if basis_at < starts_at - offsets[nearest]:
        return nearest, due[1:]
    return None, due
