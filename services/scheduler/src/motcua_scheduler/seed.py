"""Demo data for `make run`: one ward's assisted-help offer, relative to today. Idempotent.

Phường Sài Gòn (Thành phố Hồ Chí Minh) with two community kiosks (evenings 17:30–20:30 and
weekends), a home-visit team, a remote-help desk, the mobile service bus on two routes
(outskirts every Wednesday, the Tân Thuận export processing zone on Tuesdays and Fridays:
four stops), six weekend volunteers and three staff members. Ward codes and addresses are
illustrative. Loaded when MOTCUA_SCHEDULER_SEED_DEMO=true; running it again changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from motcua_platform.errors import MotcuaError
from motcua_platform.logging import get_logger
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import DayException, local_day
from motcua_scheduler.service import CitizenInput, Page, SchedulerService, SlotRef

log = get_logger(__name__)

HCMC = ("79", "Thành phố Hồ Chí Minh")
SAI_GON = m.Ward("26740", "Phường Sài Gòn", *HCMC)
TAN_DINH = m.Ward("26734", "Phường Tân Định", *HCMC)
BEN_THANH = m.Ward("26743", "Phường Bến Thành", *HCMC)
BINH_KHANH = m.Ward("27664", "Xã Bình Khánh", *HCMC)
AN_THOI_DONG = m.Ward("27667", "Xã An Thới Đông", *HCMC)
TAN_THUAN = m.Ward("27037", "Phường Tân Thuận", *HCMC)
WARDS = (SAI_GON, TAN_DINH, BEN_THANH, BINH_KHANH, AN_THOI_DONG, TAN_THUAN)

H = m.HelpType
ALL_HELP = ()  # empty = every help type
STAFF = (
    m.Resource("cb-lan", m.ResourceKind.STAFF, "Nguyễn Thị Lan (Bộ phận Một cửa)", account_id="canbo.saigon",
               ward_codes=(SAI_GON.code,)),
    m.Resource("cb-hung", m.ResourceKind.STAFF, "Trần Văn Hùng (Bộ phận Một cửa)", ward_codes=(SAI_GON.code,)),
    m.Resource("cb-mai", m.ResourceKind.STAFF, "Võ Thị Mai (Văn phòng UBND)", ward_codes=(SAI_GON.code,)),
)
VOLUNTEERS = (
    m.Resource("tnv-an", m.ResourceKind.VOLUNTEER, "Đoàn viên Nguyễn Văn An", account_id="tnv.an",
               skills=(H.VNEID_LEVEL2, H.ONLINE_DOSSIER, H.SCAN_DOCUMENTS), ward_codes=(SAI_GON.code, TAN_DINH.code)),
    m.Resource("tnv-chau", m.ResourceKind.VOLUNTEER, "Đoàn viên Lê Minh Châu",
               skills=(H.VNEID_LEVEL2, H.LOOKUP_DOSSIER, H.PAY_FEES), ward_codes=(SAI_GON.code, TAN_DINH.code)),
    m.Resource("tnv-binh", m.ResourceKind.VOLUNTEER, "Sinh viên tình nguyện Phạm Thanh Bình",
               skills=(H.ONLINE_DOSSIER, H.SCAN_DOCUMENTS, H.PAY_FEES), ward_codes=(TAN_DINH.code,)),
    m.Resource("tnv-dung", m.ResourceKind.VOLUNTEER, "Hội viên phụ nữ Hoàng Thu Dung",
               skills=(H.VNEID_LEVEL2, H.ONLINE_DOSSIER), ward_codes=(SAI_GON.code,)),
    m.Resource("tnv-khoa", m.ResourceKind.VOLUNTEER, "Đoàn viên Đặng Minh Khoa",
               skills=(H.VNEID_LEVEL2, H.SCAN_DOCUMENTS, H.LOOKUP_DOSSIER), ward_codes=(SAI_GON.code, BEN_THANH.code)),
    m.Resource("tnv-linh", m.ResourceKind.VOLUNTEER, "Cựu chiến binh Bùi Khánh Linh",
               skills=(H.VNEID_LEVEL2, H.LOOKUP_DOSSIER), ward_codes=(SAI_GON.code,)),
)
BUS = m.Resource("xe-01", m.ResourceKind.VEHICLE, "Xe dịch vụ công lưu động số 1")
ROUTE_OUTSKIRTS = ("tuyen-ngoai-thanh", "Tuyến ngoại thành – Thứ Tư hằng tuần", BUS.id)
ROUTE_EPZ = ("tuyen-kcx-tan-thuan", "Tuyến Khu chế xuất Tân Thuận – Thứ Ba, Thứ Sáu", BUS.id)

WEEKDAYS = (1, 2, 3, 4, 5)
WEEKEND = (6, 7)


def _windows(days: tuple[int, ...], spans: tuple[tuple[str, str], ...], *, minutes: int | None, capacity: int,
             reserved: int) -> list[m.Window]:
    return [m.Window(d, a, b, minutes, capacity, reserved) for d in days for a, b in spans]


POINTS: tuple[tuple[m.Point, list[m.Window]], ...] = (
    (m.Point("kiosk-saigon-kp3", m.Model.KIOSK, "Điểm hỗ trợ dịch vụ công – Nhà văn hoá khu phố 3", SAI_GON,
             street="12 Nguyễn Huy Tự", latitude=10.7886, longitude=106.6990,
             served_wards=(TAN_DINH.code, BEN_THANH.code)),
     _windows(WEEKDAYS, (("17:30", "20:30"),), minutes=30, capacity=3, reserved=1)
     + _windows(WEEKEND, (("08:00", "11:30"), ("13:30", "17:00")), minutes=30, capacity=3, reserved=1)),
    (m.Point("kiosk-saigon-cc", m.Model.KIOSK, "Điểm hỗ trợ dịch vụ công – Chung cư 15 Nguyễn Đình Chiểu", SAI_GON,
             street="15 Nguyễn Đình Chiểu (tầng trệt)", latitude=10.7878, longitude=106.7030,
             help_types=(H.VNEID_LEVEL2, H.ONLINE_DOSSIER, H.SCAN_DOCUMENTS, H.LOOKUP_DOSSIER)),
     _windows((1, 3, 5), (("17:30", "20:30"),), minutes=30, capacity=2, reserved=1)
     + _windows(WEEKEND, (("08:00", "11:30"),), minutes=30, capacity=2, reserved=1)),
    (m.Point("home-saigon", m.Model.HOME_VISIT, "Tổ hỗ trợ tại nhà – UBND phường Sài Gòn", SAI_GON,
             street="Trụ sở UBND phường Sài Gòn"),
     _windows(WEEKDAYS, (("08:00", "11:00"), ("14:00", "16:00")), minutes=60, capacity=3, reserved=1)),
    (m.Point("remote-saigon", m.Model.REMOTE, "Hỗ trợ từ xa qua điện thoại/Zalo – phường Sài Gòn", SAI_GON,
             served_wards=(TAN_DINH.code, BEN_THANH.code, BINH_KHANH.code, AN_THOI_DONG.code, TAN_THUAN.code)),
     _windows(WEEKDAYS, (("08:00", "11:30"), ("13:30", "17:00"), ("19:00", "21:00")), minutes=20, capacity=2,
              reserved=0)),
    (m.Point("xe-binh-khanh-cho", m.Model.MOBILE_BUS, "Chợ Bình Khánh (xe phục vụ lưu động)", BINH_KHANH,
             street="Chợ Bình Khánh", route_id=ROUTE_OUTSKIRTS[0]),
     _windows((3,), (("07:30", "10:30"),), minutes=None, capacity=20, reserved=5)),
    (m.Point("xe-an-thoi-dong-nvh", m.Model.MOBILE_BUS, "Nhà văn hoá ấp An Hoà (xe phục vụ lưu động)", AN_THOI_DONG,
             street="Nhà văn hoá ấp An Hoà", route_id=ROUTE_OUTSKIRTS[0]),
     _windows((3,), (("13:30", "16:30"),), minutes=None, capacity=20, reserved=5)),
    (m.Point("xe-tan-thuan-cong", m.Model.MOBILE_BUS, "Cổng chính KCX Tân Thuận (xe phục vụ lưu động)", TAN_THUAN,
             street="Cổng chính Khu chế xuất Tân Thuận", route_id=ROUTE_EPZ[0]),
     _windows((2, 5), (("11:00", "13:00"),), minutes=None, capacity=25, reserved=3)),
    (m.Point("xe-tan-thuan-nha-tro", m.Model.MOBILE_BUS, "Khu nhà trọ công nhân đường số 15 (xe phục vụ lưu động)",
             TAN_THUAN, street="Đường số 15, khu nhà trọ công nhân", route_id=ROUTE_EPZ[0]),
     _windows((2, 5), (("17:30", "20:30"),), minutes=None, capacity=25, reserved=3)),
)
CULTURAL_HOUSE = m.Point("nvh-saigon-kp1", m.Model.VOLUNTEER, "Nhà văn hoá khu phố 1, phường Sài Gòn", SAI_GON,
                         street="3 Mạc Đĩnh Chi", volunteer_location=m.VolunteerLocation.CULTURAL_HOUSE,
                         opening_hours_vi="Thứ Bảy, Chủ nhật theo lịch đăng ký của tình nguyện viên")

#: (volunteer, weekday, start, end, location, capacity, slot minutes, street, ward, point)
AVAILABILITY = (
    ("tnv-an", 6, time(8), time(11), m.VolunteerLocation.CULTURAL_HOUSE, 2, 60, "", "", CULTURAL_HOUSE.id),
    ("tnv-chau", 7, time(8), time(11), m.VolunteerLocation.CITIZEN_HOME, 1, 90, "", SAI_GON.code, ""),
    ("tnv-binh", 6, time(14), time(17), m.VolunteerLocation.VOLUNTEER_HOME, 2, 60, "Hẻm 18 Trần Quang Khải",
     TAN_DINH.code, ""),
    ("tnv-dung", 7, time(14), time(16), m.VolunteerLocation.CULTURAL_HOUSE, 3, 60, "", "", CULTURAL_HOUSE.id),
    ("tnv-khoa", 6, time(8), time(10), m.VolunteerLocation.CITIZEN_HOME, 1, 60, "", SAI_GON.code, ""),
    ("tnv-linh", 7, time(8), time(11), m.VolunteerLocation.CULTURAL_HOUSE, 2, 60, "", "", CULTURAL_HOUSE.id),
)

SEED_ACTOR = m.Actor("system:seed", "system", "Dữ liệu mẫu")
CONSENT_VERSION = "2025-01"


async def load_demo(service: SchedulerService, *, weekends: int = 4) -> None:
    """Create (or refresh) the demo ward, plan its slots, publish volunteers' weekends, add three demo bookings."""
    await service.configure(
        wards=WARDS, resources=(*STAFF, *VOLUNTEERS, BUS), routes=(ROUTE_OUTSKIRTS, ROUTE_EPZ),
    )
    for point, windows in POINTS:
        await service.configure_point(point, windows)
    await service.configure_point(CULTURAL_HOUSE, [])
    await service.configure(exceptions=[
        ("kiosk-saigon-kp3", date(2027, 1, 1), DayException.OPEN, "Mở cửa phục vụ ngày Tết Dương lịch"),
    ])
    planned = await service.plan()
    today = local_day(service.clock())
    registered = 0
    for vid, weekday, start, end, location, capacity, minutes, street, ward, point_id in AVAILABILITY:
        first = today + timedelta(days=(weekday - today.isoweekday()) % 7 or 7)
        for week in range(weekends):
            try:
                slots = await service.register_volunteer_availability(
                    volunteer_id=vid, day=first + timedelta(weeks=week), start=start, end=end, location=location,
                    street=street, ward_code=ward, help_types=(), capacity=capacity, slot_minutes=minutes,
                    actor=SEED_ACTOR, point_id=point_id)
                registered += len(slots)
            except MotcuaError as exc:  # e.g. a holiday weekend
                log.info("seed_availability_skipped", volunteer_id=vid, reason=exc.code)
    await _demo_bookings(service)
    log.info("scheduler_seed_loaded", slots_planned=planned, volunteer_slots=registered)


async def _demo_bookings(service: SchedulerService) -> None:
    """Two home visits waiting for a call-back and one kiosk booking, so the officer screens are not empty."""
    demo = (
        ("seed-demo-home-1", "home-saigon", H.VNEID_LEVEL2, True,
         CitizenInput("Trần Thị Bảy", "0901234561", "Số 7 hẻm 25 Nguyễn Huy Tự", SAI_GON.code),
         "Bà 78 tuổi, đi lại khó khăn, cần làm VNeID mức 2."),
        ("seed-demo-home-2", "home-saigon", H.ONLINE_DOSSIER, False,
         CitizenInput("Lê Văn Tư", "0901234562", "40 Đinh Tiên Hoàng", SAI_GON.code), "Cần nộp hồ sơ khai sinh cho cháu."),
        ("seed-demo-kiosk-1", "kiosk-saigon-kp3", H.SCAN_DOCUMENTS, False,
         CitizenInput("Phạm Minh Sáu", "0901234563"), ""),
    )
    now = service.clock()
    for key, point_id, help_type, priority, citizen, note in demo:
        found, _ = await service.search(model=None, ward="", first=local_day(now) + timedelta(days=2), last=None,
                                        help_type=help_type, procedure_code="", priority=priority, point_id=point_id,
                                        page=Page(1, 1))
        if not found:
            continue
        try:
            await service.create_booking(
                key=key, ref=SlotRef(slot_id=found[0][0].id), citizen=citizen, help_type=help_type, priority=priority,
                consent=m.Consent("assisted_help_booking", datetime.now(UTC), CONSENT_VERSION), note=note,
                channel=m.Channel.COUNTER, actor=SEED_ACTOR)
        except MotcuaError as exc:
            # A replay of the first run's request would match; a changed demo slot does not: keep the first booking.
            log.info("seed_booking_skipped", key=key, reason=exc.code)
