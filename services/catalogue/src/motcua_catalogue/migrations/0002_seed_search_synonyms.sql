-- Global synonym groups: what citizens type versus what procedures are called.
-- Terms are stored as written; the service folds them (no diacritics, lower case).
-- Operators may add groups with plain INSERTs; the services' caches refresh on commit.
-- Folding makes some short phrases collide ("mô tô" = "mô tổ", "ô tô" = "ở tổ"), so
-- such terms are given with a word that disambiguates them ("xe mô tô").

INSERT INTO search_synonyms (group_key, term) VALUES
    ('lpg', 'gas'), ('lpg', 'LPG'), ('lpg', 'khí dầu mỏ hóa lỏng'), ('lpg', 'khí hóa lỏng'), ('lpg', 'bình gas'),
    ('land_certificate', 'sổ đỏ'), ('land_certificate', 'sổ hồng'),
    ('land_certificate', 'giấy chứng nhận quyền sử dụng đất'), ('land_certificate', 'bìa đỏ'),
    ('driving_licence', 'bằng lái'), ('driving_licence', 'bằng lái xe'), ('driving_licence', 'giấy phép lái xe'),
    ('driving_licence', 'GPLX'),
    ('permanent_residence', 'hộ khẩu'), ('permanent_residence', 'sổ hộ khẩu'), ('permanent_residence', 'thường trú'),
    ('temporary_residence', 'tạm trú'), ('temporary_residence', 'KT3'),
    ('identity_card', 'CCCD'), ('identity_card', 'CMND'), ('identity_card', 'căn cước'),
    ('identity_card', 'căn cước công dân'), ('identity_card', 'chứng minh nhân dân'), ('identity_card', 'chứng minh thư'),
    ('birth', 'khai sinh'), ('birth', 'giấy khai sinh'),
    ('death', 'khai tử'), ('death', 'báo tử'), ('death', 'chứng tử'),
    ('marriage', 'kết hôn'), ('marriage', 'đăng ký kết hôn'), ('marriage', 'lấy vợ'),
    ('marriage', 'lấy chồng'),
    ('divorce', 'ly hôn'), ('divorce', 'ly dị'),
    ('marital_status', 'xác nhận tình trạng hôn nhân'), ('marital_status', 'xác nhận độc thân'),
    ('marital_status', 'giấy xác nhận độc thân'),
    ('alcohol', 'rượu'), ('alcohol', 'đồ uống có cồn'),
    ('tobacco', 'thuốc lá'), ('tobacco', 'sản phẩm thuốc lá'),
    ('motorbike', 'xe máy'), ('motorbike', 'xe mô tô'), ('motorbike', 'xe gắn máy'),
    ('car', 'xe ô tô'), ('car', 'xe hơi'), ('car', 'oto'),
    ('household_business', 'hộ kinh doanh'), ('household_business', 'kinh doanh cá thể'),
    ('household_business', 'hộ cá thể'),
    ('building_permit', 'giấy phép xây dựng'), ('building_permit', 'xin phép xây nhà'), ('building_permit', 'GPXD'),
    ('building_permit', 'phép xây dựng'),
    ('health_insurance', 'bảo hiểm y tế'), ('health_insurance', 'BHYT'), ('health_insurance', 'thẻ bảo hiểm y tế'),
    ('social_insurance', 'bảo hiểm xã hội'), ('social_insurance', 'BHXH'),
    ('social_assistance', 'trợ cấp xã hội'), ('social_assistance', 'trợ giúp xã hội'),
    ('social_assistance', 'bảo trợ xã hội'),
    ('elderly', 'người cao tuổi'), ('elderly', 'người già'),
    ('disability', 'khuyết tật'), ('disability', 'tàn tật'),
    ('criminal_record', 'lý lịch tư pháp'), ('criminal_record', 'LLTP'),
    ('certification', 'chứng thực'), ('certification', 'công chứng'), ('certification', 'sao y'),
    ('food_safety', 'an toàn thực phẩm'), ('food_safety', 'ATTP'), ('food_safety', 'vệ sinh an toàn thực phẩm'),
    ('unemployment', 'trợ cấp thất nghiệp'), ('unemployment', 'bảo hiểm thất nghiệp'),
    ('number_plate', 'biển số'), ('number_plate', 'biển kiểm soát'),
    ('passport', 'hộ chiếu'), ('passport', 'passport'),
    ('business_registration', 'đăng ký kinh doanh'), ('business_registration', 'giấy phép kinh doanh'),
    ('business_registration', 'GPKD')
ON CONFLICT DO NOTHING;
