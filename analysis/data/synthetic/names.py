"""Syllables the invented commune and village names are made of (no real commune is named).
"""

from __future__ import annotations

from analysis.data.synthetic.helpers import nfc

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

COMMUNE_A = (
    "An Bảo Bình Cẩm Cao Chu Dương Đại Đông Đồng Đức Hòa Hồng Hương Hợp Khánh Lam Lan Liên Long "
    "Minh Mỹ Nam Nghĩa Ngọc Nhã Phúc Phú Phượng Quang Quế Song Tân Thái Thanh Thượng Tiên Trung "
    "Tuấn Vân Việt Xuân Yên Hữu Kim Lương Mai Vĩnh"
).split()
COMMUNE_B = (
    "Sơn Lộc Hưng Thịnh Châu Mậu Bình Hà Phong Lạc Trung Đạo Tiến Thành Xá Lâm Khê Động Hòa Lĩnh "
    "Nghĩa Phú Quang Tân Thắng Thọ Thuận Tiên Trường Vượng Xuyên Yên Linh Đình Kỳ Lương Mai Minh "
    "Hợp Cương"
).split()
VILLAGE_A = (
    "Đồng Khe Nà Bãi Làng Gốc Hố Đá Trại Cầu Núi Suối Chằm Đèo Lòng Mỏ Ao Bến Dốc Nương Cây Khuôn "
    "Tân Hạ Thượng Trung Đông Nam Bắc Na"
).split()
VILLAGE_B = (
    "Bài Nghè Cạn Vàng Thị Mít Sim Gạo Lim Đình Chùa Trám Cọ Mai Lở Sâu Dài Non Tre Bưởi Vải Chè "
    "Dẻ Ngõa Ràng Pheo Rẽo Cốc Quẫn Luông Mới"
).split()
WARDS = (
    "Lý Thái Tổ", "Trần Hưng Đạo", "Quang Trung", "Nguyễn Trãi", "Lê Hồng Phong",
    "Phan Đình Phùng", "Hai Bà Trưng", "Lý Thường Kiệt", "Nguyễn Du", "Hùng Vương", "Tô Hiệu",
    "Võ Thị Sáu", "Chu Văn An", "Lê Quý Đôn",
)


def name_combos(first, second) -> list[str]:
    return [nfc(f"{a} {b}") for a in first for b in second if a != b]


KIND_PREFIX = {"xa": "Xã", "phuong": "Phường", "thi_tran": "Thị trấn", "thon": "Thôn",
                "ban": "Bản", "to_dan_pho": "Tổ dân phố"}
