"""Settings of the scheduler service (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = 50053
    metrics_port: int = 9153
    catalogue_target: str | None = Field(
        default=None,
        description="CatalogueService host:port; when set, procedure codes of bookings are checked against the catalogue",
    )
    scheduler_seed_demo: bool = Field(
        default=False, description="Load the demo ward (kiosks, bus route, volunteers, staff) at start; make run sets true"
    )
    scheduler_hold_minutes: int = Field(default=10, ge=1, le=120, description="How long a HELD place is kept")
    scheduler_booking_lead_minutes: int = Field(
        default=15, ge=0, le=7 * 24 * 60, description="Bookings close this many minutes before a slot starts"
    )
    scheduler_booking_horizon_days: int = Field(
        default=35, ge=1, le=366, description="How far ahead slots are generated and can be booked"
    )
    scheduler_priority_release_hours: float = Field(
        default=24.0, ge=0, le=24 * 30,
        description="Places reserved for priority citizens open to everyone this close to the slot; 0 keeps them reserved",
    )
    scheduler_reminder_day_before_hours: float = Field(default=24.0, gt=0, le=24 * 7,
                                                       description="The day-before reminder, hours before the visit")
    scheduler_reminder_hours_before_hours: float = Field(default=2.0, gt=0, le=24,
                                                         description="The same-day reminder, hours before the visit")
    scheduler_sweep_interval_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="How often lapsed holds are released and due reminders emitted"
    )
    scheduler_planner_interval_seconds: float = Field(
        default=3600.0, gt=0, le=86400, description="How often slots are generated up to the booking horizon"
    )
    scheduler_token_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the citizens' booking tokens; unset: a key generated once and kept in the database",
    )
