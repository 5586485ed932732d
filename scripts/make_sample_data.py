"""Generate the committed sample data set under ``sample_data/``.

Usage::

    python scripts/make_sample_data.py sample_data

Small but realistic Chinese-enterprise data: a GBK CRM export, an orders
Parquet file, nested app events, an HR workbook, a SQLite member database, an
application log and a policy file. Everything comes from one fixed random seed,
so a rerun writes the same files (byte-identical for a given pyarrow/SQLite
version). Only the standard library, pyarrow and openpyxl are used; nothing is
downloaded.

The generators below (resident IDs, card numbers, mobiles, landlines, names,
addresses) implement the formats independently of ``detectors.validators`` on
purpose: the sample data then also cross-checks the validators.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import ipaddress
import json
import random
import re
import sqlite3
import sys
import uuid
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Font

SEED = 20240601

# --------------------------------------------------------------------------------------
# Reference tables
# --------------------------------------------------------------------------------------

# (division code, province, city, district, area code, local-number length, local first digits, weight)
REGIONS: list[tuple[str, str, str, str, str, int, str, int]] = [
    ("110105", "北京市", "北京市", "朝阳区", "010", 8, "5689", 8),
    ("110108", "北京市", "北京市", "海淀区", "010", 8, "5689", 6),
    ("110101", "北京市", "北京市", "东城区", "010", 8, "5689", 3),
    ("310115", "上海市", "上海市", "浦东新区", "021", 8, "56", 8),
    ("310104", "上海市", "上海市", "徐汇区", "021", 8, "56", 4),
    ("310101", "上海市", "上海市", "黄浦区", "021", 8, "56", 2),
    ("120101", "天津市", "天津市", "和平区", "022", 8, "2358", 2),
    ("500103", "重庆市", "重庆市", "渝中区", "023", 8, "6", 3),
    ("440106", "广东省", "广州市", "天河区", "020", 8, "238", 6),
    ("440304", "广东省", "深圳市", "福田区", "0755", 8, "238", 6),
    ("440305", "广东省", "深圳市", "南山区", "0755", 8, "268", 5),
    ("330106", "浙江省", "杭州市", "西湖区", "0571", 8, "8", 5),
    ("330203", "浙江省", "宁波市", "海曙区", "0574", 8, "8", 2),
    ("320102", "江苏省", "南京市", "玄武区", "025", 8, "58", 4),
    ("320506", "江苏省", "苏州市", "吴中区", "0512", 8, "6", 3),
    ("510107", "四川省", "成都市", "武侯区", "028", 8, "68", 4),
    ("420106", "湖北省", "武汉市", "武昌区", "027", 8, "58", 4),
    ("610113", "陕西省", "西安市", "雁塔区", "029", 8, "8", 3),
    ("370202", "山东省", "青岛市", "市南区", "0532", 8, "8", 2),
    ("370102", "山东省", "济南市", "历下区", "0531", 8, "8", 2),
    ("350203", "福建省", "厦门市", "思明区", "0592", 7, "25", 2),
    ("430104", "湖南省", "长沙市", "岳麓区", "0731", 8, "8", 2),
    ("410105", "河南省", "郑州市", "金水区", "0371", 8, "6", 3),
    ("340104", "安徽省", "合肥市", "蜀山区", "0551", 8, "6", 2),
    ("360102", "江西省", "南昌市", "东湖区", "0791", 8, "8", 1),
    ("130102", "河北省", "石家庄市", "长安区", "0311", 8, "8", 2),
    ("140105", "山西省", "太原市", "小店区", "0351", 7, "7", 1),
    ("210102", "辽宁省", "沈阳市", "和平区", "024", 8, "2", 2),
    ("220102", "吉林省", "长春市", "南关区", "0431", 8, "8", 1),
    ("230103", "黑龙江省", "哈尔滨市", "南岗区", "0451", 8, "8", 1),
    ("450103", "广西壮族自治区", "南宁市", "青秀区", "0771", 7, "5", 1),
    ("460108", "海南省", "海口市", "美兰区", "0898", 8, "6", 1),
    ("520102", "贵州省", "贵阳市", "南明区", "0851", 8, "8", 1),
    ("530102", "云南省", "昆明市", "五华区", "0871", 8, "6", 1),
    ("150102", "内蒙古自治区", "呼和浩特市", "新城区", "0471", 7, "6", 1),
    ("620102", "甘肃省", "兰州市", "城关区", "0931", 7, "8", 1),
    ("640104", "宁夏回族自治区", "银川市", "兴庆区", "0951", 7, "6", 1),
    ("650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "0991", 7, "2", 1),
    ("630102", "青海省", "西宁市", "城东区", "0971", 7, "8", 1),
    ("540102", "西藏自治区", "拉萨市", "城关区", "0891", 7, "6", 1),
]

SURNAMES: list[tuple[str, str, int]] = [
    ("王", "wang", 70), ("李", "li", 70), ("张", "zhang", 65), ("刘", "liu", 55), ("陈", "chen", 45),
    ("杨", "yang", 32), ("黄", "huang", 24), ("赵", "zhao", 22), ("吴", "wu", 21), ("周", "zhou", 20),
    ("徐", "xu", 16), ("孙", "sun", 15), ("马", "ma", 14), ("朱", "zhu", 13), ("胡", "hu", 12),
    ("郭", "guo", 12), ("何", "he", 11), ("高", "gao", 10), ("林", "lin", 10), ("罗", "luo", 9),
    ("郑", "zheng", 9), ("梁", "liang", 8), ("谢", "xie", 7), ("宋", "song", 7), ("唐", "tang", 7),
    ("许", "xu", 6), ("韩", "han", 6), ("冯", "feng", 6), ("邓", "deng", 6), ("曹", "cao", 6),
    ("彭", "peng", 5), ("曾", "zeng", 5), ("肖", "xiao", 5), ("田", "tian", 5), ("董", "dong", 5),
    ("袁", "yuan", 4), ("潘", "pan", 4), ("于", "yu", 4), ("蒋", "jiang", 4), ("蔡", "cai", 4),
    ("余", "yu", 4), ("杜", "du", 4), ("叶", "ye", 4), ("程", "cheng", 4), ("苏", "su", 3),
    ("魏", "wei", 3), ("吕", "lv", 3), ("丁", "ding", 3), ("任", "ren", 3), ("沈", "shen", 3),
    ("姚", "yao", 3), ("卢", "lu", 3), ("姜", "jiang", 3), ("崔", "cui", 3), ("钟", "zhong", 3),
    ("谭", "tan", 3), ("陆", "lu", 3), ("汪", "wang", 3), ("范", "fan", 3), ("金", "jin", 2),
    ("石", "shi", 2), ("廖", "liao", 2), ("贾", "jia", 2), ("夏", "xia", 2), ("韦", "wei", 2),
    ("方", "fang", 2), ("白", "bai", 2), ("邹", "zou", 2), ("孟", "meng", 2), ("熊", "xiong", 2),
    ("秦", "qin", 2), ("邱", "qiu", 2), ("江", "jiang", 2), ("尹", "yin", 2), ("薛", "xue", 2),
    ("段", "duan", 2), ("雷", "lei", 2), ("侯", "hou", 2), ("龙", "long", 2), ("史", "shi", 2),
    ("陶", "tao", 2), ("黎", "li", 2), ("贺", "he", 2), ("顾", "gu", 2), ("毛", "mao", 2),
    ("郝", "hao", 2), ("龚", "gong", 2), ("邵", "shao", 2), ("万", "wan", 1), ("钱", "qian", 1),
    ("严", "yan", 1), ("武", "wu", 1), ("戴", "dai", 1), ("孔", "kong", 1), ("汤", "tang", 1),
]
COMPOUND_SURNAMES: list[tuple[str, str]] = [
    ("欧阳", "ouyang"), ("司马", "sima"), ("上官", "shangguan"), ("诸葛", "zhuge"), ("东方", "dongfang"),
    ("皇甫", "huangfu"), ("慕容", "murong"), ("令狐", "linghu"), ("司徒", "situ"), ("夏侯", "xiahou"),
]
GIVEN_MALE = (
    "伟:wei 强:qiang 磊:lei 军:jun 勇:yong 杰:jie 涛:tao 斌:bin 超:chao 明:ming 刚:gang 平:ping "
    "辉:hui 鹏:peng 华:hua 飞:fei 鑫:xin 波:bo 宇:yu 浩:hao 凯:kai 健:jian 俊:jun 帆:fan 帅:shuai "
    "旭:xu 宁:ning 龙:long 阳:yang 建:jian 国:guo 志:zhi 文:wen 海:hai 峰:feng 亮:liang 成:cheng "
    "博:bo 晨:chen 睿:rui 泽:ze 毅:yi 东:dong 永:yong 德:de 春:chun 兵:bing 新:xin 荣:rong 林:lin"
)
GIVEN_FEMALE = (
    "芳:fang 娜:na 敏:min 静:jing 丽:li 艳:yan 娟:juan 霞:xia 秀:xiu 英:ying 玲:ling 婷:ting 雪:xue "
    "慧:hui 颖:ying 琳:lin 晶:jing 欣:xin 倩:qian 洁:jie 悦:yue 怡:yi 佳:jia 梦:meng 雨:yu 萱:xuan "
    "涵:han 琪:qi 嘉:jia 晓:xiao 思:si 诗:shi 若:ruo 彤:tong 蕾:lei 燕:yan 红:hong 梅:mei 兰:lan "
    "凤:feng 萍:ping 莉:li 文:wen 月:yue"
)
# Given names popular for children born after 2010 (always two characters).
GIVEN_MODERN = {
    True: "子轩:zixuan 浩宇:haoyu 宇航:yuhang 沐辰:muchen 俊熙:junxi 子墨:zimo 一鸣:yiming 皓轩:haoxuan 梓睿:zirui",
    False: "梓涵:zihan 一诺:yinuo 欣怡:xinyi 雨桐:yutong 思彤:sitong 若汐:ruoxi 诗涵:shihan 梓萱:zixuan 可馨:kexin",
}


def _pairs(spec: str) -> list[tuple[str, str]]:
    return [tuple(item.split(":")) for item in spec.split()]  # type: ignore[misc]


GIVEN = {True: _pairs(GIVEN_MALE), False: _pairs(GIVEN_FEMALE)}
MODERN = {k: _pairs(v) for k, v in GIVEN_MODERN.items()}

# Mobile prefixes allocated today, weighted roughly by subscriber share.
MOBILE_PREFIX_WEIGHTS: dict[str, int] = {
    **{f"13{d}": 8 for d in range(10)},
    "145": 1, "147": 2, "149": 1,
    **{f"15{d}": 6 for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)},
    "162": 1, "165": 1, "166": 2, "167": 1,
    **{f"17{d}": 3 for d in (0, 1, 3, 5, 6, 7, 8)},
    "172": 1,
    **{f"18{d}": 7 for d in range(10)},
    **{f"19{d}": 3 for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)},
}

# Issuer identification numbers: (prefix, length, weight).
UNIONPAY_BINS = [
    ("622202", 19, 6),  # ICBC debit
    ("621226", 19, 4),  # ICBC debit
    ("622848", 19, 6),  # ABC debit
    ("621700", 19, 5),  # CCB debit
    ("622700", 19, 3),  # CCB debit
    ("622588", 16, 4),  # CMB debit
    ("621483", 16, 2),  # CMB debit
    ("622262", 19, 3),  # BOCOM debit
    ("621661", 19, 3),  # BOC debit
    ("623668", 19, 2),  # CCB debit
    ("625802", 16, 1),  # UnionPay credit
    ("628288", 16, 1),  # UnionPay credit
]
VISA_BINS = [("427020", 16, 2), ("438088", 16, 1), ("4", 16, 2)]
MASTER_BINS = [("524094", 16, 1), ("552599", 16, 1), ("5", 16, 2)]

EMAIL_DOMAINS = [
    ("qq.com", 12), ("163.com", 10), ("126.com", 5), ("sina.com", 3), ("foxmail.com", 2),
    ("139.com", 2), ("sohu.com", 1), ("yeah.net", 1), ("aliyun.com", 1), ("gmail.com", 2),
    ("outlook.com", 2), ("hotmail.com", 1),
]
ROADS = ["人民", "解放", "中山", "建设", "和平", "新华", "青年", "胜利", "朝阳", "文化", "光明",
         "幸福", "长江", "黄河", "滨河", "学府", "科技", "花园", "东风", "友谊", "迎宾", "工农"]
COMMUNITIES = ["阳光花园", "锦绣家园", "翠湖苑", "幸福里小区", "金色家园", "紫荆公寓", "海棠湾",
               "春华苑", "丽景湾", "翡翠城", "世纪新城", "和谐家园", "东方名苑", "滨江花园",
               "景秀华庭", "北辰小区"]
STREETS = ["城关街道", "新华街道", "南湖街道", "东风街道", "长安街道", "建设街道"]


def _weighted(rng: random.Random, items: list, weights: list[int]):
    return rng.choices(items, weights=weights, k=1)[0]


# --------------------------------------------------------------------------------------
# Reusable generators
# --------------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character: weighted sum mod 11 indexes ``10X98765432``."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def resident_id(rng: random.Random, birth: dt.date, division: str, male: bool,
                check_x: bool | None = None) -> str:
    """A valid 18-character resident ID number.

    ``division`` is the 6-digit administrative division code, ``birth`` the
    birth date, ``male`` the sex carried by the parity of the 3-digit sequence
    (odd for men). ``check_x`` forces a check character ``X`` (True), a digit
    (False) or leaves it to chance (None, about 1 in 11 is X).
    """
    parity = 1 if male else 0
    while True:
        seq = rng.randrange(1, 999)
        if seq % 2 != parity:
            seq += 1
        first17 = f"{division}{birth:%Y%m%d}{seq:03d}"
        check = id_check_char(first17)
        if check_x is None or (check == "X") == check_x:
            return first17 + check


def legacy_resident_id(rng: random.Random, birth: dt.date, division: str, male: bool) -> str:
    """A legacy 15-digit resident ID (pre-1999 format): division, YYMMDD (19YY), sequence, no check."""
    if not 1900 <= birth.year <= 1999:
        raise ValueError("15-digit IDs only encode 19YY birth years")
    seq = rng.randrange(1, 999)
    if seq % 2 != (1 if male else 0):
        seq += 1
    return f"{division}{birth:%y%m%d}{seq:03d}"


def luhn_digit(partial: str) -> str:
    """The check digit that completes ``partial`` to a Luhn-valid number."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(rng: random.Random, prefix: str, length: int) -> str:
    """A Luhn-valid card number of ``length`` digits starting with ``prefix`` (the BIN)."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    return body + luhn_digit(body)


def random_card(rng: random.Random, unionpay_share: float = 0.8) -> str:
    """A card from a realistic issuer mix: mostly UnionPay 62, some Visa 4 and Mastercard 5."""
    r = rng.random()
    if r < unionpay_share:
        pool = UNIONPAY_BINS
    elif r < unionpay_share + (1 - unionpay_share) / 2:
        pool = VISA_BINS
    else:
        pool = MASTER_BINS
    prefix, length, _ = _weighted(rng, pool, [w for *_, w in pool])
    return card_number(rng, prefix, length)


def group4(number: str, sep: str = " ") -> str:
    """Print a card number in groups of four, as on the card: ``6228 4833 7844 1706 436``."""
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


def mobile(rng: random.Random) -> str:
    """A bare 11-digit mainland mobile number on an allocated prefix."""
    prefixes = list(MOBILE_PREFIX_WEIGHTS)
    prefix = _weighted(rng, prefixes, [MOBILE_PREFIX_WEIGHTS[p] for p in prefixes])
    return prefix + f"{rng.randrange(10**8):08d}"


def format_mobile(rng: random.Random, number: str, mix: tuple[int, int, int, int] = (70, 12, 8, 10)) -> str:
    """Print a mobile as people type it: plain, 3-4-4 with hyphens or spaces, or with +86/86/0086.

    ``mix`` weighs (plain, hyphenated, spaced, with country code).
    """
    a, b, c = number[:3], number[3:7], number[7:]
    style = _weighted(rng, ["plain", "hyphen", "space", "cc"], list(mix))
    if style == "plain":
        return number
    if style == "hyphen":
        return f"{a}-{b}-{c}"
    if style == "space":
        return f"{a} {b} {c}"
    return rng.choice([f"+86 {a} {b} {c}", f"+86{number}", f"+86-{number}", f"86-{number}",
                       f"0086 {number}", f"+86 {number}"])


def landline(rng: random.Random, region: tuple) -> str:
    """A fixed-line number in ``region``: area code + 7/8-digit local number, in varied print styles."""
    area, length, firsts = region[4], region[5], region[6]
    local = rng.choice(firsts) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    style = rng.random()
    if style < 0.65:
        text = f"{area}-{local}"
    elif style < 0.80:
        text = f"({area}){local}"
    elif style < 0.92:
        text = f"{area} {local}"
    else:
        text = f"{area}{local}"
    if rng.random() < 0.08:
        text += rng.choice(["转", "-"]) + str(rng.randrange(100, 9000))
    return text


def chinese_name(rng: random.Random, male: bool | None = None, modern: bool = False) -> tuple[str, bool, str, str]:
    """A Chinese name: common surname (a few compound ones) + a 1-2 character given name.

    Returns ``(name, male, surname_pinyin, given_pinyin)``. ``modern`` picks
    given names popular for children born after 2010.
    """
    if male is None:
        male = rng.random() < 0.5
    if rng.random() < 0.02:
        surname, s_py = rng.choice(COMPOUND_SURNAMES)
    else:
        surname, s_py, _ = _weighted(rng, SURNAMES, [w for *_, w in SURNAMES])
    if modern:
        given, g_py = rng.choice(MODERN[male])
    else:
        n = 1 if rng.random() < 0.35 else 2
        chosen = [rng.choice(GIVEN[male]) for _ in range(n)]
        if n == 2 and chosen[0][0] == chosen[1][0] and rng.random() < 0.7:
            chosen = chosen[:1]
        given = "".join(c for c, _ in chosen)
        g_py = "".join(p for _, p in chosen)
    return surname + given, male, s_py, g_py


def pick_region(rng: random.Random) -> tuple:
    """A region row, big cities weighted up."""
    return _weighted(rng, REGIONS, [r[7] for r in REGIONS])


def address(rng: random.Random, region: tuple) -> str:
    """A street-level Chinese address: province/city/district/road/number/community/building/room."""
    _, prov, city, district = region[:4]
    municipality = prov == city
    head_style = rng.random()
    if municipality:
        head = f"{city}{district}" if head_style < 0.8 else district
    elif head_style < 0.6:
        head = f"{prov}{city}{district}"
    elif head_style < 0.9:
        head = f"{city}{district}"
    else:
        head = f"{prov[:-1] if prov.endswith('省') else prov}{city}{district}"
    road = rng.choice(ROADS) + rng.choice(["路", "路", "路", "街", "大道", "东路", "西路", "南路", "北路"])
    street = rng.choice(STREETS) if rng.random() < 0.15 else ""
    number = f"{rng.randrange(1, 999)}号"
    floor, room = rng.randrange(1, 33), rng.randrange(1, 6)
    tail_style = rng.random()
    if tail_style < 0.55:
        tail = f"{rng.choice(COMMUNITIES)}{rng.randrange(1, 30)}栋{rng.randrange(1, 5)}单元{floor}{room:02d}室"
    elif tail_style < 0.8:
        tail = f"{rng.choice(COMMUNITIES)}{rng.randrange(1, 30)}号楼{floor}{room:02d}室"
    elif tail_style < 0.92:
        tail = f"{rng.randrange(1, 30)}栋{floor}{room:02d}"
    else:
        tail = ""
    return f"{head}{street}{road}{number}{tail}"


def email_for(rng: random.Random, s_py: str, g_py: str, birth_year: int) -> str:
    """A personal e-mail address in the styles Chinese users pick (pinyin, QQ number, birth year)."""
    domain = _weighted(rng, [d for d, _ in EMAIL_DOMAINS], [w for _, w in EMAIL_DOMAINS])
    if domain == "qq.com" and rng.random() < 0.7:
        return f"{rng.randrange(10**5, 4 * 10**9)}@qq.com"
    style = rng.random()
    if style < 0.3:
        local = f"{s_py}{g_py}"
    elif style < 0.5:
        local = f"{s_py}.{g_py}"
    elif style < 0.7:
        local = f"{s_py}{g_py}{birth_year % 100:02d}"
    elif style < 0.85:
        local = f"{g_py}_{s_py}{rng.randrange(1, 999)}"
    else:
        local = f"{s_py[0]}{g_py}{rng.randrange(1970, 2010)}"
    if rng.random() < 0.04:
        local = local.capitalize()
    return f"{local}@{domain}"


IPV4_FIRST_OCTETS = [36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117,
                     119, 120, 121, 122, 123, 124, 125, 171, 175, 180, 182, 183, 202, 210, 211, 218,
                     219, 220, 221, 222, 223]
IPV6_PREFIXES = [0x240E, 0x2409, 0x2408]  # China Telecom, China Mobile, China Unicom


def ipv4_cn(rng: random.Random) -> str:
    """A public IPv4 address in ranges allocated to Chinese ISPs."""
    return f"{rng.choice(IPV4_FIRST_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def ipv6_cn(rng: random.Random) -> str:
    """A public IPv6 address under a Chinese carrier's /16, in compressed notation."""
    high = (rng.choice(IPV6_PREFIXES) << 48) | rng.getrandbits(40) << 8
    iid = rng.getrandbits(64) if rng.random() < 0.7 else rng.randrange(1, 0x100)
    return str(ipaddress.IPv6Address((high << 64) | iid))


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly random date in ``[start, end]``."""
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def random_datetime(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    """A random second between ``start`` and ``end`` (inclusive), office hours weighted up."""
    day = random_date(rng, start, end)
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 6, 6, 5, 3, 2])[0]
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))


class Person:
    """One synthetic person with consistent name, sex, birth date, region, ID and contacts."""

    def __init__(self, rng: random.Random, born_from: dt.date, born_to: dt.date, modern: bool = False,
                 check_x: bool | None = None):
        self.region = pick_region(rng)
        self.name, self.male, self.s_py, self.g_py = chinese_name(rng, modern=modern)
        self.birth = random_date(rng, born_from, born_to)
        # Most people still hold an ID from their birthplace; some moved.
        id_region = self.region if rng.random() < 0.6 else pick_region(rng)
        self.resident_id = resident_id(rng, self.birth, id_region[0], self.male, check_x)
        self.mobile = mobile(rng)
        self.email = email_for(rng, self.s_py, self.g_py, self.birth.year)


# --------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------

def _check_x_draw(rng: random.Random, share: float = 0.10) -> bool:
    return rng.random() < share


def write_crm_csv(rng: random.Random, out: Path, n: int = 300) -> dict:
    """crm/customers_gbk.csv: a GBK CRM export with Chinese headers."""
    levels = ["普通会员", "普通会员", "普通会员", "银卡会员", "银卡会员", "金卡会员", "白金会员", "钻石会员"]
    header = ["客户编号", "姓名", "身份证号", "手机号", "联系电话", "邮箱", "家庭住址", "会员等级", "注册日期"]
    rows = []
    for i in range(n):
        p = Person(rng, dt.date(1950, 1, 1), dt.date(2006, 6, 30), check_x=_check_x_draw(rng))
        reg = random_date(rng, dt.date(2016, 3, 1), dt.date(2025, 12, 20))
        style = rng.random()
        if style < 0.85:
            reg_text = reg.isoformat()
        elif style < 0.97:
            reg_text = f"{reg.year}/{reg.month}/{reg.day}"
        else:
            reg_text = f"{reg.year}年{reg.month}月{reg.day}日"
        rows.append([
            f"C{100000 + i * 7 + rng.randrange(7):06d}",
            p.name,
            p.resident_id,
            format_mobile(rng, p.mobile),
            landline(rng, p.region) if rng.random() < 0.7 else "",
            p.email if rng.random() < 0.88 else "",
            address(rng, p.region),
            rng.choice(levels),
            reg_text,
        ])
    # A couple of lower-case x check characters, as typed by hand.
    x_rows = [r for r in rows if r[2].endswith("X")]
    for r in rng.sample(x_rows, 3):
        r[2] = r[2][:-1] + "x"
    # A few more empty cells in columns that are usually filled.
    for col in (2, 3, 6):
        for r in rng.sample(rows, 2):
            r[col] = ""
    path = out / "crm" / "customers_gbk.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return {"rows": n, "x_check": sum(r[2][-1:] in "Xx" and r[2] != "" for r in rows)}


def write_orders_parquet(rng: random.Random, out: Path, n: int = 2000) -> dict:
    """orders/orders_2024.parquet: 2 row groups; order_id is a sequential 16-digit chance-Luhn column."""
    times = sorted(random_datetime(rng, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) for _ in range(n))
    seq = 10_000_000 + rng.randrange(100_000)
    order_ids, mobiles, cards, amounts, ips = [], [], [], [], []
    for t in times:
        seq += 1 if rng.random() < 0.9 else rng.randrange(2, 6)  # a few ids burnt by cancelled checkouts
        order_ids.append(f"{t:%Y%m%d}{seq % 10**8:08d}")  # 2024MMDD + global sequence: 16 digits
        m = mobile(rng)
        mobiles.append(m if rng.random() < 0.95 else format_mobile(rng, m, mix=(0, 5, 2, 3)))
        if rng.random() < 0.02:
            cards.append(None)  # paid by wallet balance
        else:
            c = random_card(rng)
            cards.append(group4(c) if rng.random() < 0.03 else c)
        amounts.append(round(min(rng.lognormvariate(5.0, 1.0), 49999.0), 2))
        ips.append(ipv6_cn(rng) if rng.random() < 0.08 else ipv4_cn(rng))
    table = pa.table({
        "order_id": pa.array(order_ids, pa.string()),
        "buyer_mobile": pa.array(mobiles, pa.string()),
        "bank_card": pa.array(cards, pa.string()),
        "amount": pa.array(amounts, pa.float64()),
        "created_at": pa.array(times, pa.timestamp("ms")),
        "ship_ip": pa.array(ips, pa.string()),
    })
    path = out / "orders" / "orders_2024.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=1000, compression="snappy")
    return {"rows": n, "row_groups": pq.ParquetFile(path).num_row_groups}


PLAIN_MESSAGES = [
    "用户登录成功", "浏览商品详情页", "加入购物车", "提交订单", "支付成功", "领取优惠券", "搜索：蓝牙耳机",
    "搜索：儿童羽绒服", "分享商品到微信", "查看物流信息", "申请开具电子发票", "修改收货地址", "退出登录",
    "用户反馈：页面加载太慢了", "用户反馈：优惠券无法使用", "客服会话已结束，满意度 5 星",
    "订单已签收", "浏览活动页：双十一预热", "开启消息推送", "绑定微信账号",
]


def _sensitive_message(rng: random.Random, p: Person) -> str:
    kind = rng.choices(["mobile", "email", "id", "card", "address"], weights=[45, 20, 15, 12, 8])[0]
    if kind == "mobile":
        m = format_mobile(rng, mobile(rng) if rng.random() < 0.5 else p.mobile, mix=(70, 15, 10, 5))
        return rng.choice([f"用户反馈：请联系{m}", f"客户留言：快递到了请打{m}，谢谢",
                           f"修改绑定手机为 {m}", f"来电回访，客户要求改约，电话{m}"])
    if kind == "email":
        return rng.choice([f"客户留言：发票请发到{p.email}，谢谢", f"用户反馈：邮箱{p.email}收不到验证码",
                           f"电子发票已发送至 {p.email}"])
    if kind == "id":
        return rng.choice([f"实名认证提交，证件号{p.resident_id}", f"用户反馈：身份证 {p.resident_id} 认证失败",
                           f"客服备注：核对身份证号{p.resident_id}无误"])
    if kind == "card":
        c = random_card(rng)
        c = group4(c) if rng.random() < 0.4 else c
        return rng.choice([f"退款申请：退回银行卡{c}", f"用户反馈：绑定银行卡 {c} 提示失败",
                           f"提现到卡号{c}"])
    return f"修改收货地址为{address(rng, p.region)}"


def write_events_jsonl(rng: random.Random, out: Path, n: int = 500) -> dict:
    """events/app_events.jsonl: nested app events with contact data and free-text messages."""
    os_choices = ["Android 14", "Android 13", "Android 12", "iOS 17.5", "iOS 18.1", "HarmonyOS 4.2",
                  "HarmonyOS 5.0", "Windows 11", "macOS 14.6"]
    tags_pool = ["login", "pay", "search", "share", "coupon", "feedback", "refund", "logistics", "invoice"]
    people = [Person(rng, dt.date(1960, 1, 1), dt.date(2006, 1, 1)) for _ in range(120)]
    uids = [100000 + i * 13 + rng.randrange(13) for i in range(len(people))]
    sensitive = 0
    path = out / "events" / "app_events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    times = sorted(random_datetime(rng, dt.date(2024, 9, 1), dt.date(2024, 11, 30)) for _ in range(n))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for t in times:
            k = rng.randrange(len(people))
            p = people[k]
            if rng.random() < 0.3:
                message = _sensitive_message(rng, p)
                sensitive += 1
            else:
                message = rng.choice(PLAIN_MESSAGES)
            ev = {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "ts": t.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randrange(1000):03d}+08:00",
                "type": rng.choice(["page_view", "click", "order", "feedback", "auth"]),
                "user": {
                    "uid": uids[k],
                    "contact": {
                        "mobile": format_mobile(rng, p.mobile, mix=(80, 5, 5, 10)) if rng.random() < 0.93 else None,
                        "email": p.email if rng.random() < 0.8 else None,
                    },
                },
                "device": {"ip": ipv6_cn(rng) if rng.random() < 0.1 else ipv4_cn(rng), "os": rng.choice(os_choices)},
                "tags": rng.sample(tags_pool, rng.randrange(1, 4)),
                "message": message,
            }
            fh.write(json.dumps(ev, ensure_ascii=False) + "\n")
    return {"rows": n, "sensitive_messages": sensitive}


DEPARTMENTS = [
    ("D01", "总经办", None, 6), ("D02", "财务部", "D01", 12), ("D03", "人力资源部", "D01", 10),
    ("D04", "研发中心", "D01", 60), ("D05", "产品部", "D04", 15), ("D06", "市场部", "D01", 18),
    ("D07", "销售部", "D01", 30), ("D08", "客户服务部", "D07", 20), ("D09", "仓储物流部", "D01", 16),
    ("D10", "法务合规部", "D01", 5),
]


def _deterministic_xlsx(wb: Workbook, path: Path) -> None:
    """Save ``wb`` with fixed zip timestamps and document dates so reruns are byte-identical."""
    fixed = dt.datetime(2024, 12, 1, 9, 0, 0)
    wb.properties.creator = "piiwarden sample generator"
    wb.properties.created = fixed
    buf = io.BytesIO()
    wb.save(buf)
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=fixed.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)


def write_hr_xlsx(rng: random.Random, out: Path, n: int = 150) -> dict:
    """hr/employees.xlsx: sheet 员工 (people) and sheet 部门 (department codes only)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "员工"
    ws.append(["工号", "姓名", "证件号码", "手机号码", "银行卡号", "部门", "入职日期"])
    weights = [d[3] for d in DEPARTMENTS]
    for i in range(n):
        p = Person(rng, dt.date(1966, 1, 1), dt.date(2003, 6, 30), check_x=_check_x_draw(rng))
        dept = _weighted(rng, DEPARTMENTS, weights)
        card = card_number(rng, *rng.choice([("622202", 19), ("622848", 19), ("621700", 19), ("622588", 16)]))
        hired = random_date(rng, max(dt.date(2012, 1, 1), p.birth.replace(year=p.birth.year + 21, day=1)),
                            dt.date(2025, 11, 30))
        ws.append([
            f"E{10001 + i}",
            p.name,
            p.resident_id,
            format_mobile(rng, p.mobile, mix=(85, 10, 5, 0)),
            group4(card) if rng.random() < 0.1 else card,
            dept[1],
            dt.datetime(hired.year, hired.month, hired.day),
        ])
        ws.cell(row=ws.max_row, column=7).number_format = "yyyy-mm-dd"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFG", (10, 10, 22, 16, 24, 14, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ds = wb.create_sheet("部门")
    ds.append(["部门编码", "部门名称", "上级部门编码", "编制人数"])
    for code, name, parent, headcount in DEPARTMENTS:
        ds.append([code, name, parent, headcount])
    for cell in ds[1]:
        cell.font = Font(bold=True)
    path = out / "hr" / "employees.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    _deterministic_xlsx(wb, path)
    return {"rows": n, "departments": len(DEPARTMENTS)}


SKU_TITLES = [
    ("蓝牙耳机 降噪版 白色", 299.0), ("儿童羽绒服 冬季加厚 120cm", 359.0), ("不锈钢保温杯 500ml", 89.0),
    ("机械键盘 87键 茶轴", 329.0), ("无线鼠标 静音款", 69.9), ("纯棉四件套 1.8m床", 268.0),
    ("空气炸锅 5L 大容量", 399.0), ("电动牙刷 声波式", 199.0), ("瑜伽垫 加厚 10mm", 79.0),
    ("手机壳 磨砂防摔", 29.9), ("充电宝 20000mAh", 149.0), ("洗衣凝珠 52颗装", 59.9),
    ("有机大米 5kg", 88.0), ("智能手环 心率监测", 229.0), ("登山背包 40L", 259.0),
    ("儿童绘本 套装10册", 99.0), ("护手霜 三支装", 45.0), ("办公椅 人体工学", 899.0),
    ("电热水壶 1.7L", 119.0), ("运动跑鞋 男款 42码", 459.0), ("茶叶礼盒 明前龙井 250g", 368.0),
    ("抽纸 24包整箱", 49.9), ("猫粮 成猫 10kg", 239.0), ("台灯 护眼 LED", 139.0),
]


def write_sqlite(rng: random.Random, out: Path, n_members: int = 200, n_children: int = 20) -> dict:
    """warehouse/crm.db: table members (people, some under 14) and a clean table sku_catalog."""
    path = out / "warehouse" / "crm.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.execute("""CREATE TABLE members (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        sfzh TEXT,
        sjhm TEXT,
        email TEXT,
        birthday TEXT,
        created_at TEXT NOT NULL
    )""")
    child_slots = set(rng.sample(range(n_members), n_children))
    legacy_slots = set(rng.sample(sorted(set(range(n_members)) - child_slots), 3))
    rows = []
    for i in range(n_members):
        if i in child_slots:
            # Children's accounts opened by parents: born 2013-2020, under 14 in 2026.
            p = Person(rng, dt.date(2013, 1, 1), dt.date(2020, 12, 31), modern=True)
        elif i in legacy_slots:
            p = Person(rng, dt.date(1948, 1, 1), dt.date(1968, 12, 31))
            p.resident_id = legacy_resident_id(rng, p.birth, p.region[0], p.male)
        else:
            p = Person(rng, dt.date(1955, 1, 1), dt.date(2005, 12, 31))
        created = random_datetime(rng, max(dt.date(2015, 6, 1), p.birth), dt.date(2025, 12, 28))
        rows.append((
            1001 + i,
            p.name,
            p.resident_id if rng.random() < 0.97 else None,
            p.mobile,
            p.email if rng.random() < 0.85 else None,
            p.birth.isoformat(),
            created.strftime("%Y-%m-%d %H:%M:%S"),
        ))
    x_rows = [k for k, r in enumerate(rows) if r[2] and r[2].endswith("X")]
    if x_rows:
        k = x_rows[0]
        rows[k] = rows[k][:2] + (rows[k][2][:-1] + "x",) + rows[k][3:]
    con.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("""CREATE TABLE sku_catalog (
        sku TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        price REAL NOT NULL,
        stock INTEGER NOT NULL
    )""")
    skus = []
    for i, (title, price) in enumerate(SKU_TITLES):
        for variant in range(2 if i % 3 else 3):
            skus.append((f"SKU-{100200 + i * 10 + variant}", title + ("" if variant == 0 else f" 款式{variant + 1}"),
                         round(price * (1 + 0.1 * variant), 2), rng.randrange(0, 800)))
    con.executemany("INSERT INTO sku_catalog VALUES (?, ?, ?, ?)", skus)
    con.commit()
    con.execute("VACUUM")
    con.close()
    return {"members": n_members, "children": n_children, "legacy_ids": len(legacy_slots), "sku_catalog": len(skus)}


def write_log(rng: random.Random, out: Path, n: int = 200) -> dict:
    """logs/app.log: application log lines; a few hold an e-mail or a client IP."""
    threads = ["main", "http-nio-8080-exec-1", "http-nio-8080-exec-4", "http-nio-8080-exec-7", "scheduling-1",
               "kafka-consumer-2"]
    plain = [
        ("INFO", "c.p.order.OrderService", "order {oid} created, items={k}, amount={amt}"),
        ("INFO", "c.p.order.PayCallback", "payment callback ok, order {oid}, channel=unionpay, cost={ms}ms"),
        ("DEBUG", "c.p.common.CacheManager", "cache hit ratio {ratio}, size={k}00"),
        ("INFO", "c.p.job.ReportJob", "daily report finished in {ms}ms, rows={k}000"),
        ("WARN", "c.p.order.StockService", "stock low for SKU-{sku}: remaining {k}"),
        ("INFO", "c.p.user.LoginController", "login ok uid={uid} trace={trace}"),
        ("ERROR", "c.p.common.HttpClient", "upstream timeout after {ms}ms, retry {k}/3 trace={trace}"),
        ("INFO", "o.a.k.c.consumer.KafkaConsumer", "partition events-{k} assigned, offset={off}"),
    ]
    emails = 0
    ips = 0
    people = [Person(rng, dt.date(1970, 1, 1), dt.date(2004, 1, 1)) for _ in range(20)]
    t = dt.datetime(2024, 11, 18, 8, 0, 0)
    lines = []
    for _ in range(n):
        t += dt.timedelta(seconds=rng.randrange(1, 240), microseconds=rng.randrange(10**6))
        stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
        thread = rng.choice(threads)
        r = rng.random()
        if r < 0.07:
            emails += 1
            p = rng.choice(people)
            level, logger, msg = rng.choice([
                ("INFO", "c.p.notify.MailSender", f"verification mail sent to {p.email}"),
                ("WARN", "c.p.notify.MailSender", f"mail bounce for {p.email}: 550 mailbox unavailable"),
            ])
        elif r < 0.14:
            ips += 1
            ip = ipv4_cn(rng) if rng.random() < 0.85 else ipv6_cn(rng)
            level, logger, msg = rng.choice([
                ("WARN", "c.p.security.RateLimiter", f"too many requests from client {ip}, blocked 60s"),
                ("INFO", "c.p.web.AccessLog", f"GET /api/v2/orders 200 {rng.randrange(5, 400)}ms client={ip}"),
                ("WARN", "c.p.user.LoginController", f"login failed uid={rng.randrange(100000, 102000)} from {ip}"),
            ])
        else:
            level, logger, tmpl = rng.choice(plain)
            msg = tmpl.format(
                oid=f"2024{t:%m%d}{rng.randrange(10**7, 10**8):08d}", k=rng.randrange(1, 9),
                amt=f"{rng.uniform(10, 2000):.2f}", ms=rng.randrange(3, 5000), ratio=f"{rng.uniform(0.6, 0.99):.2f}",
                sku=rng.randrange(100200, 100440), uid=rng.randrange(100000, 102000),
                trace=f"{rng.getrandbits(64):016x}", off=rng.randrange(10**6, 10**8),
            )
        lines.append(f"{stamp} {level:<5} [{thread}] {logger} - {msg}")
    path = out / "logs" / "app.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"lines": n, "with_email": emails, "with_ip": ips}


POLICY_YAML = """\
# Data-handling policy for sample_data/ (format: CONTRACT.md, "Policy file").
# Dataset ids are paths relative to the scanned directory; a worksheet is
# "book.xlsx#Sheet" and a table of a database file is "file.db#table".
# logs/app.log is deliberately left undeclared (it holds e-mails and client IPs).
version: 1
defaults:
  retention: {max_age_days: 1825}
  plaintext_forbidden_level: 4
  minor_age: 14
datasets:
  - match: "crm/*.csv"
    purpose: marketing
    # Marketing needs no identity documents: the 身份证号 column is a minimization violation.
    allowed_entities: [PERSON_NAME, CN_MOBILE_PHONE, CN_LANDLINE_PHONE, EMAIL_ADDRESS, ADDRESS]
    retention: {column: 注册日期, max_age_days: 1825}
  - match: "orders/*.parquet"
    purpose: order_fulfilment
    allowed_entities: [CN_MOBILE_PHONE, BANK_CARD, IP_ADDRESS]
    retention: {column: created_at, max_age_days: 1095}
  - match: "events/*.jsonl"
    purpose: product_analytics
    allowed_entities: [CN_MOBILE_PHONE, EMAIL_ADDRESS, IP_ADDRESS]
  - match: "hr/employees.xlsx#*"
    purpose: payroll
    allowed_entities: [PERSON_NAME, CN_RESIDENT_ID, CN_MOBILE_PHONE, BANK_CARD]
  - match: "warehouse/crm.db#*"
    purpose: membership
    allowed_entities: [PERSON_NAME, CN_RESIDENT_ID, CN_MOBILE_PHONE, EMAIL_ADDRESS, DATE_OF_BIRTH]
    retention: {column: created_at}
"""


def write_share_folder(rng: random.Random, out: Path) -> dict:
    """share/: contracts (.docx, .pdf, zh and en), a scanned ID card, a zip of a mail with a workbook
    attached (scripts/make_sample_share.py; issue 17). Left out of policy.yaml on purpose: a share
    nobody declared is an ``undeclared_dataset`` finding of the demo."""
    from make_sample_share import Party, write_share

    people = [Person(rng, dt.date(1970, 1, 1), dt.date(1995, 12, 31), check_x=False) for _ in range(6)]
    parties = [Party(p.name, p.resident_id, p.mobile, address(rng, p.region), p.email) for p in people[:2]]
    card = people[0]
    births = [(f"{card.birth.year}年{card.birth.month}月{card.birth.day}日", "男" if card.male else "女")]
    customers = [[p.name, p.resident_id, p.mobile] for p in people[2:]]
    return write_share(out, parties, births, customers, lambda wb, path: _deterministic_xlsx(wb, path))


def write_policy(out: Path) -> None:
    """policy.yaml: declares every dataset but logs/app.log."""
    (out / "policy.yaml").write_text(POLICY_YAML, encoding="utf-8")


def generate(out: Path) -> dict:
    """Write the whole sample set into ``out``; returns a summary of what was written."""
    out.mkdir(parents=True, exist_ok=True)
    # One stream per dataset, so changing one generator does not reshuffle the others.
    summary = {
        "crm/customers_gbk.csv": write_crm_csv(random.Random(SEED + 1), out),
        "orders/orders_2024.parquet": write_orders_parquet(random.Random(SEED + 2), out),
        "events/app_events.jsonl": write_events_jsonl(random.Random(SEED + 3), out),
        "hr/employees.xlsx": write_hr_xlsx(random.Random(SEED + 4), out),
        "warehouse/crm.db": write_sqlite(random.Random(SEED + 5), out),
        "logs/app.log": write_log(random.Random(SEED + 6), out),
        "share/": write_share_folder(random.Random(SEED + 7), out),
    }
    write_policy(out)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="directory to write (e.g. sample_data)")
    args = parser.parse_args(argv)
    summary = generate(args.outdir)
    for name, info in summary.items():
        print(f"{name}: {info}")
    total = sum(f.stat().st_size for f in args.outdir.rglob("*") if f.is_file())
    print(f"total size: {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
