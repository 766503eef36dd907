"""All SQL of the scheduler. Functions take a connection whose search_path starts with the service schema.

Capacity is only ever changed by `take_place` / `release_place` / `release_places` /
`update_capacity`, each ONE conditional statement: the row lock of the UPDATE
serialises concurrent bookings of a slot and the WHERE clause is re-checked on the
latest row version, so two transactions can never both take the last place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import DayException

# -- row mapping ---------------------------------------------------------------------------------

_POINT_COLUMNS = """
    p.id AS point_id, p.model, p.name AS point_name, p.street AS point_street, p.latitude, p.longitude,
    p.route_id, p.help_types AS point_help_types, p.volunteer_location AS point_volunteer_location,
    p.owner_resource_id, p.opening_hours_vi,
    w.code AS point_ward_code, w.name AS point_ward_name, w.province_code AS point_province_code,
    w.province_name AS point_province_name,
    COALESCE((SELECT array_agg(a.ward_code ORDER BY a.ward_code) FROM point_area a WHERE a.point_id = p.id),
             '{}') AS served_wards
"""
_SLOT_COLUMNS = (
    """
    s.id AS slot_id, s.starts_at, s.ends_at, s.capacity, s.priority_reserved, s.booked, s.booked_priority,
    s.help_types AS slot_help_types, s.stop_id, s.resource_id AS slot_resource_id,
    s.volunteer_location AS slot_volunteer_location, s.status AS slot_status,
"""
    + _POINT_COLUMNS
)
_SLOT_FROM = "slot s JOIN service_point p ON p.id = s.point_id JOIN ward w ON w.code = p.ward_code"

_BOOKING_COLUMNS = (
    """
    b.id AS booking_id, b.status AS booking_status, b.help_type, b.procedure_code, b.priority, b.channel,
    b.full_name, b.phone, b.street AS citizen_street, b.zalo_user_id, b.ward_code AS citizen_ward_code,
    cw.name AS citizen_ward_name, cw.province_code AS citizen_province_code, cw.province_name AS citizen_province_name,
    b.consent_purpose, b.consent_given_at, b.consent_text_version, b.contact_ref, b.note, b.hold_expires_at,
    b.verification_attempts, b.cancel_reason, b.cancelled_by_stop_id, b.dossier_codes, b.help_given, b.version,
    b.created_at, b.updated_at, b.reminder_basis_at, b.citizen_key,
    r.id AS r_id, r.kind AS r_kind, r.display_name AS r_name, r.skills AS r_skills, r.ward_codes AS r_wards,
    r.account_id AS r_account,
"""
    + _SLOT_COLUMNS
)
_BOOKING_FROM = f"""
booking b
JOIN {_SLOT_FROM} ON s.id = b.slot_id
LEFT JOIN ward cw ON cw.code = b.ward_code
LEFT JOIN resource r ON r.id = COALESCE(b.resource_id, s.resource_id)
"""


def _help_types(values: Iterable[str] | None) -> tuple[m.HelpType, ...]:
    return tuple(m.HelpType(v) for v in values or ())


def point_from_row(row: asyncpg.Record) -> m.Point:
    location = row["point_volunteer_location"]
    return m.Point(
        id=row["point_id"],
        model=m.Model(row["model"]),
        name=row["point_name"],
        ward=m.Ward(row["point_ward_code"], row["point_ward_name"], row["point_province_code"], row["point_province_name"]),
        street=row["point_street"],
        opening_hours_vi=row["opening_hours_vi"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        route_id=row["route_id"] or "",
        help_types=_help_types(row["point_help_types"]),
        served_wards=tuple(row["served_wards"]),
        volunteer_location=m.VolunteerLocation(location) if location else None,
        owner_resource_id=row["owner_resource_id"] or "",
    )


def slot_from_row(row: asyncpg.Record, point: m.Point | None = None) -> m.Slot:
    location = row["slot_volunteer_location"]
    return m.Slot(
        id=row["slot_id"],
        point=point or point_from_row(row),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        capacity=row["capacity"],
        priority_reserved=row["priority_reserved"],
        booked=row["booked"],
        booked_priority=row["booked_priority"],
        help_types=_help_types(row["slot_help_types"]),
        stop_id=row["stop_id"] or "",
        resource_id=row["slot_resource_id"] or "",
        volunteer_location=m.VolunteerLocation(location) if location else None,
        status=row["slot_status"],
    )


def resource_from_row(row: asyncpg.Record, prefix: str = "") -> m.Resource:
    def col(name: str) -> Any:
        return row[f"{prefix}{name}"]

    return m.Resource(
        id=col("id"),
        kind=m.ResourceKind(col("kind")),
        display_name=col("name") if prefix else col("display_name"),
        skills=_help_types(col("skills")),
        ward_codes=tuple(col("wards") if prefix else col("ward_codes")),
        account_id=(col("account") if prefix else col("account_id")) or "",
        active=True if prefix else col("active"),
    )


def booking_from_row(row: asyncpg.Record, history: Sequence[m.Change] = ()) -> m.Booking:
    citizen = None
    if row["full_name"] is not None:
        citizen = m.Citizen(
            full_name=row["full_name"],
            phone=row["phone"],
            street=row["citizen_street"],
            ward_code=row["citizen_ward_code"] or "",
            ward_name=row["citizen_ward_name"] or "",
            province_code=row["citizen_province_code"] or "",
            province_name=row["citizen_province_name"] or "",
            zalo_user_id=row["zalo_user_id"],
        )
    consent = None
    if row["consent_purpose"]:
        consent = m.Consent(row["consent_purpose"], row["consent_given_at"], row["consent_text_version"] or "")
    slot = slot_from_row(row)
    return m.Booking(
        id=str(row["booking_id"]),
        status=m.Status(row["booking_status"]),
        slot=slot,
        help_type=m.HelpType(row["help_type"]),
        procedure_code=row["procedure_code"],
        citizen=citizen,
        priority=row["priority"],
        channel=m.Channel(row["channel"]),
        consent=consent,
        contact_ref=row["contact_ref"] or "",
        resource=resource_from_row(row, "r_") if row["r_id"] else None,
        note=row["note"],
        hold_expires_at=row["hold_expires_at"],
        dossier_codes=tuple(row["dossier_codes"]),
        help_given=_help_types(row["help_given"]),
        verification_attempts=row["verification_attempts"],
        cancel_reason=row["cancel_reason"],
        cancelled_by_stop_id=row["cancelled_by_stop_id"] or "",
        ward_code=row["citizen_ward_code"] or slot.point.ward.code,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        history=tuple(history),
    )


def _room_sql(priority: str, now: str, release: str) -> str:
    """Places a requester may take: priority citizens any free place, others not the reserved share
    (which opens to everyone `release` before the slot). The booking UPDATE applies the same rule."""
    return (
        f"(CASE WHEN {priority} THEN s.capacity - s.booked ELSE LEAST(s.capacity - s.booked, "
        f"s.capacity - (CASE WHEN s.starts_at - {now} <= {release} THEN 0 ELSE s.priority_reserved END) "
        f"- (s.booked - s.booked_priority)) END)"
    )


#: The slot's day in Vietnam (UTC+7, no daylight saving), whatever the session time zone.
_SLOT_DAY = "((s.starts_at AT TIME ZONE 'UTC') + interval '7 hours')::date"


# -- configuration -------------------------------------------------------------------------------


async def upsert_ward(conn: asyncpg.Connection, ward: m.Ward) -> None:
    await conn.execute(
        """INSERT INTO ward (code, name, province_code, province_name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, province_code = EXCLUDED.province_code,
                                            province_name = EXCLUDED.province_name""",
        ward.code, ward.name, ward.province_code, ward.province_name,
    )


async def get_ward(conn: asyncpg.Connection, code: str) -> m.Ward | None:
    row = await conn.fetchrow("SELECT code, name, province_code, province_name FROM ward WHERE code = $1", code)
    return m.Ward(row["code"], row["name"], row["province_code"], row["province_name"]) if row else None


async def upsert_resource(conn: asyncpg.Connection, resource: m.Resource) -> None:
    await conn.execute(
        """INSERT INTO resource (id, kind, display_name, account_id, skills, ward_codes, active)
           VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7)
           ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, display_name = EXCLUDED.display_name,
               account_id = EXCLUDED.account_id, skills = EXCLUDED.skills, ward_codes = EXCLUDED.ward_codes,
               active = EXCLUDED.active""",
        resource.id, str(resource.kind), resource.display_name, resource.account_id,
        [str(h) for h in resource.skills], list(resource.ward_codes), resource.active,
    )


async def get_resource(conn: asyncpg.Connection, resource_id: str) -> m.Resource | None:
    row = await conn.fetchrow("SELECT * FROM resource WHERE id = $1", resource_id)
    return resource_from_row(row) if row else None


async def list_resources(conn: asyncpg.Connection, *, kind: str | None, ward: str | None,
                         help_type: str | None) -> list[m.Resource]:
    rows = await conn.fetch(
        """SELECT * FROM resource
           WHERE active AND ($1::text IS NULL OR kind = $1)
             AND ($2::text IS NULL OR ward_codes = '{}' OR $2 = ANY(ward_codes))
             AND ($3::text IS NULL OR skills = '{}' OR $3 = ANY(skills))
           ORDER BY kind, display_name, id""",
        kind, ward, help_type,
    )
    return [resource_from_row(r) for r in rows]


async def upsert_route(conn: asyncpg.Connection, route_id: str, name: str, vehicle_id: str | None) -> None:
    await conn.execute(
        """INSERT INTO bus_route (id, name, vehicle_id) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, vehicle_id = EXCLUDED.vehicle_id""",
        route_id, name, vehicle_id,
    )


async def upsert_point(conn: asyncpg.Connection, point: m.Point, *, replace: bool = True) -> bool:
    """Insert a point (or update it when `replace`); return True when it was inserted."""
    conflict = """DO UPDATE SET model = EXCLUDED.model, name = EXCLUDED.name, street = EXCLUDED.street,
                  ward_code = EXCLUDED.ward_code, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
                  route_id = EXCLUDED.route_id, help_types = EXCLUDED.help_types,
                  volunteer_location = EXCLUDED.volunteer_location, owner_resource_id = EXCLUDED.owner_resource_id"""
    inserted = await conn.fetchval(
        f"""INSERT INTO service_point (id, model, name, street, ward_code, latitude, longitude, route_id, help_types,
                                       volunteer_location, owner_resource_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), $9, $10, NULLIF($11, ''))
            ON CONFLICT (id) {conflict if replace else 'DO NOTHING'}
            RETURNING (xmax = 0)""",
        point.id, str(point.model), point.name, point.street, point.ward.code, point.latitude, point.longitude,
        point.route_id, [str(h) for h in point.help_types],
        str(point.volunteer_location) if point.volunteer_location else None, point.owner_resource_id,
    )
    if inserted is not None and (inserted or replace):
        await conn.execute("DELETE FROM point_area WHERE point_id = $1", point.id)
        await conn.execute(
            "INSERT INTO point_area (point_id, ward_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            point.id, list(point.served_wards),
        )
    return bool(inserted)


async def replace_windows(conn: asyncpg.Connection, point_id: str, windows: Sequence[m.Window], hours_vi: str) -> None:
    await conn.execute("DELETE FROM opening_window WHERE point_id = $1", point_id)
    await conn.executemany(
        """INSERT INTO opening_window (point_id, weekday, opens, closes, slot_minutes, capacity, priority_reserved,
                                       valid_from, valid_to)
           VALUES ($1, $2, $3::text::time, $4::text::time, $5, $6, $7, $8, $9)""",
        [(point_id, w.weekday, w.opens, w.closes, w.slot_minutes, w.capacity, w.priority_reserved, w.valid_from,
          w.valid_to) for w in windows],
    )
    await conn.execute("UPDATE service_point SET opening_hours_vi = $2 WHERE id = $1", point_id, hours_vi)


async def load_windows(conn: asyncpg.Connection, point_id: str | None = None) -> dict[str, list[m.Window]]:
    rows = await conn.fetch(
        """SELECT point_id, weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes,
                  slot_minutes, capacity, priority_reserved, valid_from, valid_to
           FROM opening_window o JOIN service_point p ON p.id = o.point_id
           WHERE p.active AND ($1::text IS NULL OR point_id = $1) ORDER BY point_id, weekday, opens""",
        point_id,
    )
    found: dict[str, list[m.Window]] = {}
    for r in rows:
        found.setdefault(r["point_id"], []).append(
            m.Window(r["weekday"], r["opens"], r["closes"], r["slot_minutes"], r["capacity"], r["priority_reserved"],
                     r["valid_from"], r["valid_to"])
        )
    return found


async def upsert_holiday(conn: asyncpg.Connection, day: date, name_vi: str) -> None:
    await conn.execute("INSERT INTO holiday (day, name_vi) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE "
                       "SET name_vi = EXCLUDED.name_vi", day, name_vi)


async def load_holidays(conn: asyncpg.Connection, first: date, last: date) -> dict[date, str]:
    rows = await conn.fetch("SELECT day, name_vi FROM holiday WHERE day BETWEEN $1 AND $2", first, last)
    return {r["day"]: r["name_vi"] for r in rows}


async def set_day_exception(conn: asyncpg.Connection, point_id: str, day: date, kind: DayException, note: str) -> None:
    await conn.execute(
        """INSERT INTO point_day_exception (point_id, day, kind, note) VALUES ($1, $2, $3, $4)
           ON CONFLICT (point_id, day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note""",
        point_id, day, str(kind), note,
    )


async def load_exceptions(conn: asyncpg.Connection, first: date, last: date,
                          point_id: str | None = None) -> dict[str, dict[date, DayException]]:
    rows = await conn.fetch(
        """SELECT point_id, day, kind FROM point_day_exception
           WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR point_id = $3)""",
        first, last, point_id,
    )
    found: dict[str, dict[date, DayException]] = {}
    for r in rows:
        found.setdefault(r["point_id"], {})[r["day"]] = DayException(r["kind"])
    return found


@dataclass(frozen=True)
class NewSlot:
    id: str
    point_id: str
    model: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    priority_reserved: int
    help_types: Sequence[str]
    stop_id: str | None = None
    resource_id: str | None = None
    volunteer_location: str | None = None


async def insert_slots(conn: asyncpg.Connection, slots: Sequence[NewSlot]) -> list[str]:
    """Insert slots that do not exist yet (by id or by point, start and volunteer); return the new ids."""
    if not slots:
        return []
    rows = await conn.fetch(
        """INSERT INTO slot (id, point_id, model, starts_at, ends_at, capacity, priority_reserved, help_types, stop_id,
                             resource_id, volunteer_location)
           SELECT x.id, x.point_id, x.model, x.starts_at, x.ends_at, x.capacity, x.priority_reserved,
                  COALESCE(string_to_array(NULLIF(x.help_types, ''), ','), '{}'), x.stop_id, x.resource_id, x.volunteer_location
           FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::int[],
                       $8::text[], $9::text[], $10::text[], $11::text[])
                AS x(id, point_id, model, starts_at, ends_at, capacity, priority_reserved, help_types, stop_id,
                     resource_id, volunteer_location)
           ON CONFLICT DO NOTHING
           RETURNING id""",
        [s.id for s in slots], [s.point_id for s in slots], [s.model for s in slots], [s.starts_at for s in slots],
        [s.ends_at for s in slots], [s.capacity for s in slots], [s.priority_reserved for s in slots],
        [",".join(s.help_types) for s in slots], [s.stop_id for s in slots], [s.resource_id for s in slots],
        [s.volunteer_location for s in slots],
    )
    return [r["id"] for r in rows]


async def insert_route_stop(conn: asyncpg.Connection, *, stop_id: str, route_id: str, point_id: str,
                            starts_at: datetime, ends_at: datetime) -> bool:
    return bool(await conn.fetchval(
        """INSERT INTO route_stop (id, route_id, point_id, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING true""",
        stop_id, route_id, point_id, starts_at, ends_at,
    ))


async def route_vehicle(conn: asyncpg.Connection, route_id: str) -> str | None:
    return await conn.fetchval("SELECT vehicle_id FROM bus_route WHERE id = $1", route_id)


async def insert_commitment(conn: asyncpg.Connection, *, resource_id: str, starts_at: datetime, ends_at: datetime,
                            booking_id: str | None = None, slot_id: str | None = None,
                            stop_id: str | None = None) -> None:
    """Record that a resource is busy; raises asyncpg.ExclusionViolationError when it already is at that time."""
    await conn.execute(
        """INSERT INTO resource_commitment (resource_id, during, booking_id, slot_id, stop_id)
           VALUES ($1, tstzrange($2, $3, '[)'), $4::uuid, $5, $6)""",
        resource_id, starts_at, ends_at, booking_id, slot_id, stop_id,
    )


async def delete_booking_commitments(conn: asyncpg.Connection, booking_ids: Sequence[str]) -> None:
    if booking_ids:
        await conn.execute("DELETE FROM resource_commitment WHERE booking_id = ANY($1::uuid[])", list(booking_ids))


async def move_booking_commitment(conn: asyncpg.Connection, booking_id: str, starts_at: datetime,
                                  ends_at: datetime) -> bool:
    """Move an assignment to the booking's new time; raises ExclusionViolationError when the resource is busy then."""
    status = await conn.execute(
        "UPDATE resource_commitment SET during = tstzrange($2, $3, '[)') WHERE booking_id = $1::uuid",
        booking_id, starts_at, ends_at,
    )
    return status != "UPDATE 0"


# -- points, stops, slots --------------------------------------------------------------------------


async def get_point(conn: asyncpg.Connection, point_id: str) -> m.Point | None:
    row = await conn.fetchrow(
        f"SELECT {_POINT_COLUMNS} FROM service_point p JOIN ward w ON w.code = p.ward_code WHERE p.id = $1", point_id
    )
    return point_from_row(row) if row else None


async def list_points(conn: asyncpg.Connection, *, model: str | None, ward: str | None, province: str | None,
                      limit: int, offset: int) -> tuple[list[m.Point], int]:
    where = """p.active AND ($1::text IS NULL OR p.model = $1)
               AND ($2::text IS NULL OR p.ward_code = $2
                    OR EXISTS (SELECT 1 FROM point_area a WHERE a.point_id = p.id AND a.ward_code = $2))
               AND ($3::text IS NULL OR w.province_code = $3)"""
    rows = await conn.fetch(
        f"""SELECT {_POINT_COLUMNS}, count(*) OVER () AS total
            FROM service_point p JOIN ward w ON w.code = p.ward_code WHERE {where}
            ORDER BY p.name, p.id LIMIT $4 OFFSET $5""",
        model, ward, province, limit, offset,
    )
    total = rows[0]["total"] if rows else await conn.fetchval(
        f"SELECT count(*) FROM service_point p JOIN ward w ON w.code = p.ward_code WHERE {where}", model, ward, province)
    return [point_from_row(r) for r in rows], total


_STOP_COLUMNS = f"""
    rs.id AS stop_id_, rs.route_id AS stop_route_id, br.name AS route_name, rs.starts_at AS stop_starts_at,
    rs.ends_at AS stop_ends_at, rs.status AS stop_status, rs.cancel_reason, {_POINT_COLUMNS}
"""
_STOP_FROM = """route_stop rs JOIN bus_route br ON br.id = rs.route_id
                JOIN service_point p ON p.id = rs.point_id JOIN ward w ON w.code = p.ward_code"""


def stop_from_row(row: asyncpg.Record) -> m.RouteStop:
    return m.RouteStop(
        id=row["stop_id_"], route_id=row["stop_route_id"], route_name=row["route_name"], point=point_from_row(row),
        starts_at=row["stop_starts_at"], ends_at=row["stop_ends_at"], status=row["stop_status"],
        cancel_reason=row["cancel_reason"],
    )


async def list_route_stops(conn: asyncpg.Connection, *, route_id: str | None, ward: str | None, first: datetime,
                           last: datetime, include_cancelled: bool) -> list[m.RouteStop]:
    rows = await conn.fetch(
        f"""SELECT {_STOP_COLUMNS} FROM {_STOP_FROM}
            WHERE rs.starts_at >= $1 AND rs.starts_at < $2 AND ($3::text IS NULL OR rs.route_id = $3)
              AND ($4::text IS NULL OR p.ward_code = $4) AND ($5 OR rs.status = 'scheduled')
            ORDER BY rs.starts_at, rs.id""",
        first, last, route_id, ward, include_cancelled,
    )
    return [stop_from_row(r) for r in rows]


async def get_stop(conn: asyncpg.Connection, stop_id: str, *, lock: bool = False) -> m.RouteStop | None:
    row = await conn.fetchrow(
        f"SELECT {_STOP_COLUMNS} FROM {_STOP_FROM} WHERE rs.id = $1 {'FOR UPDATE OF rs' if lock else ''}", stop_id
    )
    return stop_from_row(row) if row else None


async def cancel_stop(conn: asyncpg.Connection, stop_id: str, *, reason: str, actor_id: str, now: datetime) -> None:
    await conn.execute(
        """UPDATE route_stop SET status = 'cancelled', cancel_reason = $2, cancelled_at = $3, cancelled_by = $4
           WHERE id = $1""",
        stop_id, reason, now, actor_id,
    )
    await conn.execute("UPDATE slot SET status = 'cancelled', version = version + 1 WHERE stop_id = $1", stop_id)
    await conn.execute("DELETE FROM resource_commitment WHERE stop_id = $1", stop_id)


async def get_slot(conn: asyncpg.Connection, slot_id: str) -> m.Slot | None:
    row = await conn.fetchrow(f"SELECT {_SLOT_COLUMNS} FROM {_SLOT_FROM} WHERE s.id = $1", slot_id)
    return slot_from_row(row) if row else None


async def get_slots(conn: asyncpg.Connection, slot_ids: Sequence[str]) -> dict[str, m.Slot]:
    rows = await conn.fetch(f"SELECT {_SLOT_COLUMNS} FROM {_SLOT_FROM} WHERE s.id = ANY($1::text[])", list(slot_ids))
    return {r["slot_id"]: slot_from_row(r) for r in rows}


async def find_slot_at(conn: asyncpg.Connection, point_id: str, at: datetime) -> m.Slot | None:
    """The slot of a point whose window contains `at` (an open one first)."""
    row = await conn.fetchrow(
        f"""SELECT {_SLOT_COLUMNS} FROM {_SLOT_FROM}
            WHERE s.point_id = $1 AND s.during @> $2::timestamptz
            ORDER BY (s.status = 'open') DESC, s.starts_at DESC LIMIT 1""",
        point_id, at,
    )
    return slot_from_row(row) if row else None


async def search_slots(conn: asyncpg.Connection, *, model: str | None, ward: str | None, first: datetime,
                       last: datetime, help_type: str | None, priority: bool, point_id: str | None, now: datetime,
                       release: timedelta, limit: int, offset: int,
                       exclude_slot: str | None = None, route_id: str | None = None) -> tuple[list[m.Slot], int]:
    """Open slots with room for this requester, earliest first, and how many match in all."""
    room = _room_sql("$6", "$7", "$8")
    where = f"""s.status = 'open' AND s.starts_at >= $1 AND s.starts_at < $2
        AND ($3::text IS NULL OR s.model = $3)
        AND ($4::text IS NULL OR p.ward_code = $4
             OR EXISTS (SELECT 1 FROM point_area a WHERE a.point_id = p.id AND a.ward_code = $4))
        AND ($5::text IS NULL OR s.help_types = '{{}}' OR $5 = ANY(s.help_types))
        AND ($9::text IS NULL OR s.point_id = $9)
        AND ($10::text IS NULL OR s.id <> $10)
        AND ($11::text IS NULL OR p.route_id = $11)
        AND {room} > 0"""
    args = (first, last, model, ward, help_type, priority, now, release, point_id, exclude_slot, route_id)
    rows = await conn.fetch(
        f"""SELECT {_SLOT_COLUMNS}, count(*) OVER () AS total FROM {_SLOT_FROM}
            WHERE {where} ORDER BY s.starts_at, s.id LIMIT $12 OFFSET $13""",
        *args, limit, offset,
    )
    if rows:
        total = rows[0]["total"]
    elif offset:
        total = await conn.fetchval(f"SELECT count(*) FROM {_SLOT_FROM} WHERE {where}", *args)
    else:
        total = 0
    return [slot_from_row(r) for r in rows], total


async def lock_slots(conn: asyncpg.Connection, slot_ids: Sequence[str]) -> None:
    """Lock slots in id order, so that two moves between the same slots cannot deadlock."""
    await conn.execute("SELECT 1 FROM slot WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", list(slot_ids))


@dataclass(frozen=True)
class Taken:
    """A slot's counters right after a place was taken (exact: the row is locked until commit)."""

    capacity: int
    priority_reserved: int
    booked: int
    booked_priority: int


async def take_place(conn: asyncpg.Connection, slot_id: str, *, priority: bool, help_type: str,
                     not_before: datetime, now: datetime, release: timedelta) -> Taken | None:
    """Take one place of an open, future slot offering `help_type` if this requester may; ONE statement.

    None when refused (full for this requester, closed, cancelled, too late, help not offered).
    """
    row = await conn.fetchrow(
        f"""UPDATE slot s SET booked = s.booked + 1,
                              booked_priority = s.booked_priority + (CASE WHEN $2 THEN 1 ELSE 0 END),
                              version = s.version + 1
            WHERE s.id = $1 AND s.status = 'open' AND s.starts_at >= $4
              AND (s.help_types = '{{}}' OR $3 = ANY(s.help_types))
              AND {_room_sql("$2", "$5", "$6")} > 0
            RETURNING s.capacity, s.priority_reserved, s.booked, s.booked_priority""",
        slot_id, priority, help_type, not_before, now, release,
    )
    return Taken(row["capacity"], row["priority_reserved"], row["booked"], row["booked_priority"]) if row else None


async def release_place(conn: asyncpg.Connection, slot_id: str, *, priority: bool) -> None:
    await conn.execute(
        """UPDATE slot SET booked = booked - 1, booked_priority = booked_priority - (CASE WHEN $2 THEN 1 ELSE 0 END),
                           version = version + 1
           WHERE id = $1""",
        slot_id, priority,
    )


async def release_places(conn: asyncpg.Connection, freed: Sequence[tuple[str, bool]]) -> None:
    """Give back one place per (slot id, priority) pair, all slots in one statement."""
    if not freed:
        return
    await conn.execute(
        """UPDATE slot s SET booked = s.booked - f.n, booked_priority = s.booked_priority - f.np, version = s.version + 1
           FROM (SELECT slot_id, count(*)::int AS n, count(*) FILTER (WHERE priority)::int AS np
                 FROM unnest($1::text[], $2::bool[]) AS x(slot_id, priority) GROUP BY slot_id) f
           WHERE s.id = f.slot_id""",
        [f[0] for f in freed], [f[1] for f in freed],
    )


async def apply_calendar(conn: asyncpg.Connection, *, now: datetime) -> list[tuple[str, str, int]]:
    """Close future slots whose day a holiday (unless the point opens) or a 'closed' day closes; re-open the others.

    ONE statement, run when holidays or exceptions change and by the planner; returns
    (slot id, new status, places taken) for each slot it changed. Bookings already made in
    a slot that closes are kept: officers see them and call the citizens.
    """
    rows = await conn.fetch(
        f"""UPDATE slot s SET status = x.wanted, version = s.version + 1
            FROM (SELECT s.id, CASE WHEN EXISTS (SELECT 1 FROM point_day_exception e WHERE e.point_id = s.point_id
                                                 AND e.day = {_SLOT_DAY} AND e.kind = 'closed')
                                      OR (EXISTS (SELECT 1 FROM holiday h WHERE h.day = {_SLOT_DAY})
                                          AND NOT EXISTS (SELECT 1 FROM point_day_exception e WHERE e.point_id = s.point_id
                                                          AND e.day = {_SLOT_DAY} AND e.kind = 'open'))
                                    THEN 'closed' ELSE 'open' END AS wanted
                  FROM slot s WHERE s.status IN ('open', 'closed') AND s.starts_at > $1) x
            WHERE s.id = x.id AND s.status <> x.wanted
            RETURNING s.id, s.status, s.booked""",
        now,
    )
    return [(r["id"], r["status"], r["booked"]) for r in rows]


async def update_capacity(conn: asyncpg.Connection, slot_id: str, capacity: int, reserved: int) -> bool:
    status = await conn.execute(
        """UPDATE slot SET capacity = $2, priority_reserved = $3, version = version + 1
           WHERE id = $1 AND booked <= $2""",
        slot_id, capacity, reserved,
    )
    return status == "UPDATE 1"


async def slots_of_day(conn: asyncpg.Connection, *, first: datetime, last: datetime, point_id: str | None = None,
                       stop_id: str | None = None, resource_id: str | None = None) -> list[m.Slot]:
    rows = await conn.fetch(
        f"""SELECT {_SLOT_COLUMNS} FROM {_SLOT_FROM}
            WHERE s.starts_at >= $1 AND s.starts_at < $2
              AND ($3::text IS NULL OR s.point_id = $3) AND ($4::text IS NULL OR s.stop_id = $4)
              AND ($5::text IS NULL OR s.resource_id = $5
                   OR EXISTS (SELECT 1 FROM booking b WHERE b.slot_id = s.id AND b.resource_id = $5
                              AND b.status IN ('requested', 'confirmed', 'completed', 'no_show')))
            ORDER BY s.starts_at, s.id""",
        first, last, point_id, stop_id, resource_id,
    )
    return [slot_from_row(r) for r in rows]


# -- bookings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    request_hash: str
    booking_id: str


async def claim_idempotency(conn: asyncpg.Connection, *, scope: str, key: str, request_hash: str,
                            booking_id: str) -> Claimed | None:
    """Record the key for this request; return the earlier claim when the key was used before.

    A concurrent transaction with the same key waits on the primary key until the first
    one commits (then it sees its claim) or rolls back (then it claims the key itself).
    """
    inserted = await conn.fetchval(
        """INSERT INTO idempotency_key (scope, key, request_hash, booking_id) VALUES ($1, $2, $3, $4::uuid)
           ON CONFLICT (scope, key) DO NOTHING RETURNING true""",
        scope, key, request_hash, booking_id,
    )
    if inserted:
        return None
    row = await conn.fetchrow("SELECT request_hash, booking_id FROM idempotency_key WHERE scope = $1 AND key = $2",
                              scope, key)
    return Claimed(row["request_hash"], str(row["booking_id"]))


@dataclass(frozen=True)
class NewBooking:
    id: str
    slot: m.Slot
    status: m.Status
    help_type: m.HelpType
    procedure_code: str
    priority: bool
    channel: m.Channel
    now: datetime
    citizen: m.Citizen | None = None
    citizen_key: str | None = None
    consent: m.Consent | None = None
    contact_ref: str | None = None
    booked_by: m.Actor | None = None
    note: str = ""
    hold_expires_at: datetime | None = None
    ward_code: str | None = None


async def insert_booking(conn: asyncpg.Connection, b: NewBooking) -> None:
    """Insert a booking and its first history line (one statement).

    Raises asyncpg.ExclusionViolationError when the citizen has an overlapping booking.
    """
    c = b.citizen
    await conn.execute(
        """WITH inserted AS (
               INSERT INTO booking (id, slot_id, during, status, help_type, procedure_code, priority, channel,
                                    citizen_key, full_name, phone, street, zalo_user_id, consent_purpose,
                                    consent_given_at, consent_text_version, ward_code, contact_ref, booked_by_id,
                                    booked_by_role, note, hold_expires_at, reminder_basis_at, created_at, updated_at)
               VALUES ($1::uuid, $2, tstzrange($3, $4, '[)'), $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13, ''),
                       COALESCE($14, ''), $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $25)
               RETURNING id)
           INSERT INTO booking_history (booking_id, at, action, to_status, to_slot_id, actor_id, actor_role, actor_name)
           SELECT id, $25, $5, $5, $2, $19, $20, $26 FROM inserted""",
        b.id, b.slot.id, b.slot.starts_at, b.slot.ends_at, str(b.status), str(b.help_type), b.procedure_code,
        b.priority, str(b.channel), b.citizen_key, c.full_name if c else None, c.phone if c else None,
        c.street if c else None, c.zalo_user_id if c else None, b.consent.purpose if b.consent else None,
        b.consent.given_at if b.consent else None, b.consent.text_version if b.consent else None, b.ward_code,
        b.contact_ref, b.booked_by.id if b.booked_by else None, b.booked_by.role if b.booked_by else None, b.note,
        b.hold_expires_at, b.now if b.status is m.Status.CONFIRMED else None, b.now,
        b.booked_by.display_name if b.booked_by else None,
    )


async def get_booking(conn: asyncpg.Connection, booking_id: str, *, lock: bool = False) -> m.Booking | None:
    """Load a booking with its slot, point and resource; `lock` takes the booking row's lock (FOR UPDATE)."""
    row = await conn.fetchrow(
        f"SELECT {_BOOKING_COLUMNS} FROM {_BOOKING_FROM} WHERE b.id = $1::uuid {'FOR UPDATE OF b' if lock else ''}",
        booking_id,
    )
    return booking_from_row(row) if row else None


async def booking_by_contact_ref(conn: asyncpg.Connection, contact_ref: str) -> m.Booking | None:
    row = await conn.fetchrow(f"SELECT {_BOOKING_COLUMNS} FROM {_BOOKING_FROM} WHERE b.contact_ref = $1", contact_ref)
    return booking_from_row(row) if row else None


async def bookings_of_slots(conn: asyncpg.Connection, slot_ids: Sequence[str], *,
                            resource_id: str | None = None) -> list[m.Booking]:
    rows = await conn.fetch(
        f"""SELECT {_BOOKING_COLUMNS} FROM {_BOOKING_FROM}
            WHERE b.slot_id = ANY($1::text[]) AND b.status NOT IN ('cancelled', 'expired', 'rejected')
              AND ($2::text IS NULL OR b.resource_id = $2 OR s.resource_id = $2)
            ORDER BY b.created_at, b.id""",
        list(slot_ids), resource_id,
    )
    return [booking_from_row(r) for r in rows]


async def verification_queue(conn: asyncpg.Connection, *, ward: str | None, limit: int,
                             offset: int) -> tuple[list[m.Booking], int]:
    rows = await conn.fetch(
        f"""SELECT {_BOOKING_COLUMNS}, count(*) OVER () AS total FROM {_BOOKING_FROM}
            WHERE b.status = 'requested' AND ($1::text IS NULL OR b.ward_code = $1)
            ORDER BY b.priority DESC, b.created_at, b.id LIMIT $2 OFFSET $3""",
        ward, limit, offset,
    )
    total = rows[0]["total"] if rows else 0
    return [booking_from_row(r) for r in rows], total


async def set_status(conn: asyncpg.Connection, booking_id: str, status: m.Status, *, now: datetime,
                     reason: str | None = None, stop_id: str | None = None, clear_resource: bool = False,
                     note: str | None = None) -> None:
    await conn.execute(
        """UPDATE booking SET status = $2, updated_at = $3, version = version + 1,
                  cancel_reason = COALESCE($4, cancel_reason),
                  cancelled_by_stop_id = COALESCE($5, cancelled_by_stop_id),
                  resource_id = CASE WHEN $6 THEN NULL ELSE resource_id END,
                  hold_expires_at = CASE WHEN $2 = 'held' THEN hold_expires_at ELSE NULL END,
                  reminder_basis_at = CASE WHEN $2 = 'confirmed' THEN $3 ELSE reminder_basis_at END,
                  note = CASE WHEN $7::text IS NULL OR $7 = '' THEN note
                              WHEN note = '' THEN $7 ELSE note || E'\n' || $7 END
           WHERE id = $1::uuid""",
        booking_id, str(status), now, reason, stop_id, clear_resource, note,
    )


async def complete_hold(conn: asyncpg.Connection, hold_id: str, *, status: m.Status, now: datetime,
                        citizen: m.Citizen, citizen_key: str, consent: m.Consent, contact_ref: str,
                        help_type: m.HelpType, procedure_code: str, channel: m.Channel, booked_by: m.Actor | None,
                        note: str, ward_code: str | None) -> bool:
    """Turn a live hold into a booking in ONE statement; False when it is no longer a live hold.

    Raises asyncpg.ExclusionViolationError when the citizen has an overlapping booking.
    """
    result = await conn.execute(
        """UPDATE booking SET status = $2, updated_at = $3, version = version + 1, hold_expires_at = NULL,
                  reminder_basis_at = CASE WHEN $2 = 'confirmed' THEN $3::timestamptz END,
                  citizen_key = $4, full_name = $5, phone = $6, street = $7, zalo_user_id = $8,
                  consent_purpose = $9, consent_given_at = $10, consent_text_version = $11, contact_ref = $12,
                  help_type = $13, procedure_code = $14, channel = $15, booked_by_id = $16, booked_by_role = $17,
                  note = $18, ward_code = $19
           WHERE id = $1::uuid AND status = 'held' AND hold_expires_at > $3""",
        hold_id, str(status), now, citizen_key, citizen.full_name, citizen.phone, citizen.street,
        citizen.zalo_user_id, consent.purpose, consent.given_at, consent.text_version, contact_ref, str(help_type),
        procedure_code, str(channel), booked_by.id if booked_by else None, booked_by.role if booked_by else None,
        note, ward_code,
    )
    return result == "UPDATE 1"


async def move_booking(conn: asyncpg.Connection, booking_id: str, slot: m.Slot, *, status: m.Status,
                       now: datetime, revive: bool) -> None:
    """Point a booking at another slot (raises ExclusionViolationError on an overlap for the citizen)."""
    await conn.execute(
        """UPDATE booking SET slot_id = $2, during = tstzrange($3, $4, '[)'), status = $5, updated_at = $6,
                  version = version + 1,
                  reminder_basis_at = CASE WHEN $5 = 'confirmed' THEN $6::timestamptz ELSE NULL END,
                  cancel_reason = CASE WHEN $7 THEN '' ELSE cancel_reason END,
                  cancelled_by_stop_id = CASE WHEN $7 THEN NULL ELSE cancelled_by_stop_id END
           WHERE id = $1::uuid""",
        booking_id, slot.id, slot.starts_at, slot.ends_at, str(status), now, revive,
    )


async def set_resource(conn: asyncpg.Connection, booking_id: str, resource_id: str | None, now: datetime) -> None:
    await conn.execute(
        "UPDATE booking SET resource_id = $2, updated_at = $3, version = version + 1 WHERE id = $1::uuid",
        booking_id, resource_id, now,
    )


async def record_attempt(conn: asyncpg.Connection, booking_id: str, now: datetime) -> None:
    await conn.execute(
        """UPDATE booking SET verification_attempts = verification_attempts + 1, updated_at = $2,
                  version = version + 1 WHERE id = $1::uuid""",
        booking_id, now,
    )


async def set_outcome(conn: asyncpg.Connection, booking_id: str, *, help_given: Sequence[str],
                      dossier_codes: Sequence[str]) -> None:
    await conn.execute(
        "UPDATE booking SET help_given = $2, dossier_codes = $3 WHERE id = $1::uuid",
        booking_id, list(help_given), list(dossier_codes),
    )


@dataclass(frozen=True)
class Freed:
    booking_id: str
    slot_id: str
    priority: bool
    old_status: str = "held"


async def expire_holds(conn: asyncpg.Connection, *, now: datetime, slot_id: str | None = None,
                       limit: int = 500) -> list[Freed]:
    """Expire lapsed holds and give their places back, in ONE statement; skip holds being completed right now."""
    rows = await conn.fetch(
        """WITH lapsed AS (
               SELECT id FROM booking
               WHERE status = 'held' AND hold_expires_at <= $1 AND ($2::text IS NULL OR slot_id = $2)
               ORDER BY hold_expires_at LIMIT $3 FOR UPDATE SKIP LOCKED
           ), expired AS (
               UPDATE booking b SET status = 'expired', updated_at = $1, version = b.version + 1,
                                    hold_expires_at = NULL
               FROM lapsed WHERE b.id = lapsed.id
               RETURNING b.id, b.slot_id, b.priority
           ), freed AS (
               UPDATE slot s SET booked = s.booked - f.n, booked_priority = s.booked_priority - f.np,
                                 version = s.version + 1
               FROM (SELECT slot_id, count(*)::int AS n, count(*) FILTER (WHERE priority)::int AS np
                     FROM expired GROUP BY slot_id) f
               WHERE s.id = f.slot_id
               RETURNING s.id
           )
           SELECT id, slot_id, priority FROM expired""",
        now, slot_id, limit,
    )
    return [Freed(str(r["id"]), r["slot_id"], r["priority"]) for r in rows]


async def cancel_slot_bookings(conn: asyncpg.Connection, slot_ids: Sequence[str], *, now: datetime, reason: str,
                               stop_id: str) -> list[Freed]:
    """Cancel every active booking of `slot_ids` and give their places back, in ONE statement."""
    rows = await conn.fetch(
        """WITH targets AS (
               SELECT id, status FROM booking
               WHERE slot_id = ANY($1::text[]) AND status IN ('held', 'requested', 'confirmed')
               FOR UPDATE
           ), cancelled AS (
               UPDATE booking b SET status = 'cancelled', cancel_reason = $3, cancelled_by_stop_id = $4,
                                    updated_at = $2, version = b.version + 1, hold_expires_at = NULL,
                                    resource_id = NULL
               FROM targets t WHERE b.id = t.id
               RETURNING b.id, b.slot_id, b.priority, b.created_at, t.status AS old_status
           ), freed AS (
               UPDATE slot s SET booked = s.booked - f.n, booked_priority = s.booked_priority - f.np,
                                 version = s.version + 1
               FROM (SELECT slot_id, count(*)::int AS n, count(*) FILTER (WHERE priority)::int AS np
                     FROM cancelled GROUP BY slot_id) f
               WHERE s.id = f.slot_id
               RETURNING s.id
           )
           SELECT id, slot_id, priority, old_status FROM cancelled ORDER BY created_at, id""",
        list(slot_ids), now, reason, stop_id,
    )
    return [Freed(str(r["id"]), r["slot_id"], r["priority"], r["old_status"]) for r in rows]


async def add_history(conn: asyncpg.Connection, booking_id: str, *, at: datetime, action: str,
                      from_status: m.Status | None, to_status: m.Status, from_slot: str | None = None,
                      to_slot: str | None = None, actor: m.Actor | None = None, note: str = "") -> None:
    await conn.execute(
        """INSERT INTO booking_history (booking_id, at, action, from_status, to_status, from_slot_id, to_slot_id,
                                        actor_id, actor_role, actor_name, note)
           VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        booking_id, at, action, str(from_status) if from_status else None, str(to_status), from_slot, to_slot,
        actor.id if actor else None, actor.role if actor else None, actor.display_name if actor else None, note,
    )


async def add_history_many(conn: asyncpg.Connection, rows: Sequence[tuple[str, datetime, str, str, str, str | None,
                                                                              m.Actor | None, str]]) -> None:
    """(booking_id, at, action, from_status, to_status, slot_id, actor, note) for many bookings at once."""
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO booking_history (booking_id, at, action, from_status, to_status, from_slot_id, to_slot_id,
                                        actor_id, actor_role, actor_name, note)
           VALUES ($1::uuid, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)""",
        [(b, at, action, fs, ts, slot, a.id if a else None, a.role if a else None, a.display_name if a else None, note)
         for b, at, action, fs, ts, slot, a, note in rows],
    )


async def history(conn: asyncpg.Connection, booking_id: str) -> list[m.Change]:
    rows = await conn.fetch("SELECT * FROM booking_history WHERE booking_id = $1::uuid ORDER BY id", booking_id)
    return [
        m.Change(
            at=r["at"], action=r["action"], from_status=m.Status(r["from_status"]) if r["from_status"] else None,
            to_status=m.Status(r["to_status"]), from_slot_id=r["from_slot_id"] or "", to_slot_id=r["to_slot_id"] or "",
            actor=m.Actor(r["actor_id"], r["actor_role"] or "", r["actor_name"] or "") if r["actor_id"] else None,
            note=r["note"],
        )
        for r in rows
    ]


# -- reminders -------------------------------------------------------------------------------------


async def reminder_candidates(conn: asyncpg.Connection, *, now: datetime, offsets: dict[m.ReminderKind, timedelta],
                              limit: int) -> list[tuple[m.Booking, datetime, set[m.ReminderKind]]]:
    """Confirmed bookings with a reminder due and not yet recorded (sent or skipped) for their current time.

    Locked, skipping bookings another transaction holds (a second replica, a cancel in flight).
    """
    day_before = offsets.get(m.ReminderKind.DAY_BEFORE, timedelta(0))
    hours_before = offsets.get(m.ReminderKind.HOURS_BEFORE, timedelta(0))
    rows = await conn.fetch(
        f"""SELECT {_BOOKING_COLUMNS},
                   ARRAY(SELECT r2.kind FROM reminder r2
                         WHERE r2.booking_id = b.id AND r2.slot_starts_at = s.starts_at) AS reminded
            FROM {_BOOKING_FROM}
            WHERE b.status = 'confirmed' AND s.starts_at > $1 AND s.starts_at <= $1 + GREATEST($2::interval, $3::interval)
              AND ((s.starts_at - $2 <= $1 AND $2 > interval '0' AND NOT EXISTS (
                        SELECT 1 FROM reminder r WHERE r.booking_id = b.id AND r.slot_starts_at = s.starts_at
                        AND r.kind = 'day_before'))
                   OR (s.starts_at - $3 <= $1 AND $3 > interval '0' AND NOT EXISTS (
                        SELECT 1 FROM reminder r WHERE r.booking_id = b.id AND r.slot_starts_at = s.starts_at
                        AND r.kind = 'hours_before')))
            ORDER BY s.starts_at LIMIT $4
            FOR UPDATE OF b SKIP LOCKED""",
        now, day_before, hours_before, limit,
    )
    return [
        (booking_from_row(r), r["reminder_basis_at"] or r["updated_at"], {m.ReminderKind(k) for k in r["reminded"]})
        for r in rows
    ]


async def insert_reminder(conn: asyncpg.Connection, *, booking_id: str, kind: m.ReminderKind, starts_at: datetime,
                          outcome: str, event_id: str | None) -> bool:
    """Record a reminder; False when one for this booking, kind and visit time exists already."""
    return bool(await conn.fetchval(
        """INSERT INTO reminder (booking_id, kind, slot_starts_at, outcome, event_id)
           VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        booking_id, str(kind), starts_at, outcome, event_id,
    ))


async def prune_idempotency_keys(conn: asyncpg.Connection, *, before: datetime, limit: int = 1000) -> int:
    """Forget idempotency keys older than `before` (a retry that late makes a new request); return how many."""
    status = await conn.execute(
        """DELETE FROM idempotency_key WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM idempotency_key WHERE created_at < $1 LIMIT $2))""",
        before, limit,
    )
    return int(status.rsplit(" ", 1)[-1])


async def token_secret(conn: asyncpg.Connection) -> str:
    return await conn.fetchval("SELECT value FROM service_secret WHERE name = 'booking_token'")


# -- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCount:
    model: m.Model
    booked: int
    completed: int
    no_show: int
    cancelled: int


@dataclass(frozen=True)
class Figures:
    """Aggregates for a ward's report; no personal data."""

    by_model: list[ModelCount]
    by_channel: list[tuple[m.Channel, int, int]]  # channel, booked, completed
    people_helped: int
    dossiers_submitted: int


_HOLDING = "('requested', 'confirmed', 'completed', 'no_show')"


async def figures(conn: asyncpg.Connection, *, first: datetime, last: datetime) -> Figures:
    """Count bookings whose slot starts in [first, last) per model and per channel, in one statement (one snapshot)."""
    row = await conn.fetchrow(
        f"""
        WITH b AS (
            SELECT s.model, b.channel, b.status, b.citizen_key, b.dossier_codes
            FROM booking b JOIN slot s ON s.id = b.slot_id
            WHERE s.starts_at >= $1 AND s.starts_at < $2
        ), per_model AS (
            SELECT model, count(*) FILTER (WHERE status IN {_HOLDING}) AS booked,
                   count(*) FILTER (WHERE status = 'completed') AS completed,
                   count(*) FILTER (WHERE status = 'no_show') AS no_show,
                   count(*) FILTER (WHERE status IN ('cancelled', 'rejected')) AS cancelled
            FROM b GROUP BY model
        ), per_channel AS (
            SELECT channel, count(*) FILTER (WHERE status IN {_HOLDING}) AS booked,
                   count(*) FILTER (WHERE status = 'completed') AS completed
            FROM b GROUP BY channel
        )
        SELECT
            (SELECT coalesce(jsonb_agg(jsonb_build_array(model, booked, completed, no_show, cancelled)), '[]'::jsonb)
               FROM per_model) AS by_model,
            (SELECT coalesce(jsonb_agg(jsonb_build_array(channel, booked, completed)
                                       ORDER BY completed DESC, booked DESC, channel), '[]'::jsonb)
               FROM per_channel WHERE booked > 0) AS by_channel,
            (SELECT count(DISTINCT citizen_key) FROM b WHERE status = 'completed') AS people_helped,
            (SELECT coalesce(sum(cardinality(dossier_codes)), 0) FROM b WHERE status = 'completed') AS dossiers
        """,
        first, last,
    )
    counted = {m.Model(r[0]): ModelCount(m.Model(r[0]), *map(int, r[1:])) for r in json.loads(row["by_model"])}
    by_model = [counted.get(model, ModelCount(model, 0, 0, 0, 0)) for model in m.Model]
    by_channel = [(m.Channel(c), int(b), int(d)) for c, b, d in json.loads(row["by_channel"])]
    return Figures(by_model, by_channel, int(row["people_helped"]), int(row["dossiers"]))
