-- Public holidays that close the service points (Bộ luật Lao động 2019, Điều 112, and the
-- Government's yearly announcements of the days off for civil servants). A small table on
-- purpose: the dossier service keeps the full legal working-day calendar; this one only
-- needs "is this day a holiday". Add newly announced dates with a new migration.
-- Dates marked "dự kiến" follow the lunar calendar and the usual pattern but were not yet
-- announced when this was written.
INSERT INTO holiday (day, name_vi) VALUES
    ('2026-01-01', 'Tết Dương lịch'),
    ('2026-02-14', 'Tết Nguyên đán'),
    ('2026-02-15', 'Tết Nguyên đán'),
    ('2026-02-16', 'Tết Nguyên đán'),
    ('2026-02-17', 'Tết Nguyên đán'),
    ('2026-02-18', 'Tết Nguyên đán'),
    ('2026-02-19', 'Tết Nguyên đán'),
    ('2026-02-20', 'Tết Nguyên đán'),
    ('2026-02-21', 'Tết Nguyên đán'),
    ('2026-02-22', 'Tết Nguyên đán'),
    ('2026-04-27', 'Giỗ Tổ Hùng Vương (nghỉ bù)'),
    ('2026-04-30', 'Ngày Giải phóng miền Nam, thống nhất đất nước'),
    ('2026-05-01', 'Ngày Quốc tế Lao động'),
    ('2026-09-01', 'Quốc khánh'),
    ('2026-09-02', 'Quốc khánh'),
    ('2027-01-01', 'Tết Dương lịch'),
    ('2027-02-05', 'Tết Nguyên đán (dự kiến)'),
    ('2027-02-06', 'Tết Nguyên đán (dự kiến)'),
    ('2027-02-07', 'Tết Nguyên đán (dự kiến)'),
    ('2027-02-08', 'Tết Nguyên đán (dự kiến)'),
    ('2027-02-09', 'Tết Nguyên đán (dự kiến)'),
    ('2027-02-10', 'Tết Nguyên đán (dự kiến)'),
    ('2027-04-16', 'Giỗ Tổ Hùng Vương (dự kiến)'),
    ('2027-04-30', 'Ngày Giải phóng miền Nam, thống nhất đất nước'),
    ('2027-05-01', 'Ngày Quốc tế Lao động'),
    ('2027-05-03', 'Ngày Quốc tế Lao động (nghỉ bù)'),
    ('2027-09-02', 'Quốc khánh'),
    ('2027-09-03', 'Quốc khánh (dự kiến)')
ON CONFLICT (day) DO NOTHING;
