"""All SQL of the channels: the inbox, identities, conversations and attachments (gateway schema)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class InboxRow:
    id: int
    channel: str
    dedupe_key: str
    event_name: str
    sender: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime


async def insert_inbox(conn: Conn, *, channel: str, dedupe_key: str, event_name: str, sender: str,
                       payload: dict[str, Any]) -> bool:
    """Store a verified inbound event; False when it was already there (a redelivery)."""
    row = await conn.fetchval(
        """
        INSERT INTO channel_inbox (channel, dedupe_key, event_name, sender, payload)
        VALUES ($1, $2, $3, $4, $5::text::jsonb)
        ON CONFLICT (channel, dedupe_key) DO NOTHING RETURNING id
        """,
        channel, dedupe_key, event_name, sender, json.dumps(payload, ensure_ascii=False),
    )
    return row is not None


async def claim(conn: Conn, *, limit: int, lease_seconds: float) -> list[InboxRow]:
    """Lease due rows, at most one per sender and only a sender's oldest pending row (arrival order).

    Safe with several gateway replicas: rows are picked FOR UPDATE SKIP LOCKED and leased
    (locked_until) in the same statement; a worker that dies leaves the lease to expire.
    """
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT i.id FROM channel_inbox i
            WHERE i.status = 'pending' AND i.next_attempt_at <= statement_timestamp()
              AND (i.locked_until IS NULL OR i.locked_until < statement_timestamp())
              AND NOT EXISTS (SELECT 1 FROM channel_inbox o WHERE o.channel = i.channel AND o.sender = i.sender
                              AND o.status = 'pending' AND o.id < i.id)
            ORDER BY i.id LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE channel_inbox c SET locked_until = clock_timestamp() + make_interval(secs => $2), attempts = c.attempts + 1
        FROM due WHERE c.id = due.id
        RETURNING c.id, c.channel, c.dedupe_key, c.event_name, c.sender, c.payload::text AS payload, c.attempts,
                  c.received_at
        """,
        limit, lease_seconds,
    )
    return [InboxRow(id=r["id"], channel=r["channel"], dedupe_key=r["dedupe_key"], event_name=r["event_name"],
                     sender=r["sender"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                     received_at=r["received_at"]) for r in sorted(rows, key=lambda r: r["id"])]


async def mark_done(conn: Conn, *, row_id: int) -> None:
    await conn.execute("UPDATE channel_inbox SET status = 'done', processed_at = now(), locked_until = NULL, "
                       "last_error = '' WHERE id = $1", row_id)


async def retry_later(conn: Conn, *, row_id: int, delay: float, error: str) -> None:
    await conn.execute("UPDATE channel_inbox SET next_attempt_at = clock_timestamp() + make_interval(secs => $2), "
                       "locked_until = NULL, last_error = $3 WHERE id = $1", row_id, delay, error[:500])


async def park(conn: Conn, *, row_id: int, error: str) -> None:
    await conn.execute("UPDATE channel_inbox SET status = 'parked', locked_until = NULL, last_error = $2, "
                       "processed_at = now() WHERE id = $1", row_id, error[:500])


async def inbox_row(conn: Conn, *, channel: str, dedupe_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, status, attempts, last_error FROM channel_inbox "
                               "WHERE channel = $1 AND dedupe_key = $2", channel, dedupe_key)


async def pending_count(conn: Conn) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM channel_inbox WHERE status = 'pending'"))


# -- identities ------------------------------------------------------------------------------------------


async def save_identity(conn: Conn, *, channel: str, sender: str, full_name: str, phone: str, street: str,
                        ward_name: str, district_name: str, province_name: str, consent_given_at: datetime | None,
                        consent_text_version: str) -> None:
    await conn.execute(
        """
        INSERT INTO channel_identities (channel, sender, full_name, phone, street, ward_name, district_name, province_name,
                                        consent_given_at, consent_text_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (channel, sender) DO UPDATE SET full_name = EXCLUDED.full_name, phone = EXCLUDED.phone,
            street = EXCLUDED.street, ward_name = EXCLUDED.ward_name, district_name = EXCLUDED.district_name,
            province_name = EXCLUDED.province_name,
            consent_given_at = COALESCE(EXCLUDED.consent_given_at, channel_identities.consent_given_at),
            consent_text_version = CASE WHEN EXCLUDED.consent_given_at IS NULL THEN channel_identities.consent_text_version
                                        ELSE EXCLUDED.consent_text_version END,
            updated_at = now()
        """,
        channel, sender, full_name, phone, street, ward_name, district_name, province_name, consent_given_at,
        consent_text_version,
    )


async def set_last_dossier(conn: Conn, *, channel: str, sender: str, dossier_code: str) -> None:
    await conn.execute("UPDATE channel_identities SET last_dossier_code = $3, updated_at = now() "
                       "WHERE channel = $1 AND sender = $2", channel, sender, dossier_code)


async def identity(conn: Conn, *, channel: str, sender: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM channel_identities WHERE channel = $1 AND sender = $2", channel, sender)


# -- conversations ---------------------------------------------------------------------------------------


async def conversation(conn: Conn, *, channel: str, sender: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT state::text FROM channel_conversations WHERE channel = $1 AND sender = $2",
                              channel, sender)
    return json.loads(raw) if raw else None


async def save_conversation(conn: Conn, *, channel: str, sender: str, state: dict[str, Any] | None) -> None:
    if state is None:
        await conn.execute("DELETE FROM channel_conversations WHERE channel = $1 AND sender = $2", channel, sender)
        return
    await conn.execute(
        """
        INSERT INTO channel_conversations (channel, sender, state) VALUES ($1, $2, $3::text::jsonb)
        ON CONFLICT (channel, sender) DO UPDATE SET state = EXCLUDED.state, updated_at = now()
        """,
        channel, sender, json.dumps(state, ensure_ascii=False),
    )


# -- attachments -----------------------------------------------------------------------------------------


async def add_attachment(conn: Conn, *, channel: str, sender: str, dossier_code: str, url: str, message_id: str) -> None:
    await conn.execute(
        """
        INSERT INTO channel_attachments (channel, sender, dossier_code, url, message_id) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (channel, message_id, url) DO NOTHING
        """,
        channel, sender, dossier_code, url, message_id,
    )


async def attachments(conn: Conn, *, dossier_code: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT channel, url, message_id, received_at FROM channel_attachments "
                            "WHERE dossier_code = $1 ORDER BY received_at, id", dossier_code)
