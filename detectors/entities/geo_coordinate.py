"""Geographic coordinates (GEO_COORDINATE): one entity, one file.

A person's precise whereabouts (PIPL Art. 28 counts tracks of movement as
sensitive): a latitude/longitude pair in range with four or more decimals
(about 10 m; ENTITIES.md), ``POINT(lon lat)``, or degrees-minutes-seconds
with a hemisphere (``39°54'15"N``). A lone decimal is a coordinate only in a
column whose header says latitude or longitude (纬度, lng): a ``version``
column (``1.2.3``, ``10.4``) or a price is not one.
"""

from __future__ import annotations

import re

from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "GEO_COORDINATE"

_NUM = r"[-+]?\d{1,3}\.\d{4,}"
_PAIR = re.compile(rf"^\(?\s*({_NUM})\s*[,，]\s*({_NUM})\s*\)?$")
_POINT = re.compile(r"^POINT\s*\(\s*([-+]?\d{1,3}\.\d+)\s+([-+]?\d{1,3}\.\d+)\s*\)$", re.IGNORECASE)
_SINGLE = re.compile(rf"^{_NUM}$")
_DMS = re.compile(r"(\d{1,3})\s*°\s*(\d{1,2})\s*['′]\s*(?:(\d{1,2}(?:\.\d+)?)\s*[\"″]\s*)?([NSEWnsew])")
_DMS_CELL = re.compile(r"^(?:\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(?:\d{1,2}(?:\.\d+)?\s*[\"″]\s*)?[NSEWnsew][\s,，]*){1,2}$")


def _pair_in_range(a: float, b: float) -> bool:
    """Latitude and longitude in either order (GeoJSON writes lon, lat); not the null island (0, 0)."""
    if a == 0 and b == 0:
        return False
    return (abs(a) <= 90 and abs(b) <= 180) or (abs(a) <= 180 and abs(b) <= 90)


def _dms_ok(value: str) -> bool:
    parts = _DMS.findall(value)
    if not parts:
        return False
    for degrees, minutes, seconds, hemisphere in parts:
        limit = 90 if hemisphere.upper() in "NS" else 180
        if int(degrees) > limit or int(minutes) >= 60 or (seconds and float(seconds) >= 60):
            return False
    return True


def is_valid_coordinate(value: str) -> bool:
    """A pair, POINT or DMS in range; a lone decimal (latitude/longitude column) within ±180 with 4+ decimals."""
    v = value.strip()
    if m := _PAIR.match(v):
        return _pair_in_range(float(m.group(1)), float(m.group(2)))
    if m := _POINT.match(v):
        lon, lat = float(m.group(1)), float(m.group(2))
        return abs(lon) <= 180 and abs(lat) <= 90 and not (lon == 0 and lat == 0)
    if _SINGLE.match(v):
        return 0 < abs(float(v)) <= 180
    return bool(_DMS_CELL.match(v)) and _dms_ok(v)


class GeoCoordinateRecognizer(PiiRecognizer):
    """Latitude/longitude pairs, POINT(lon lat), DMS; single decimals under a latitude/longitude header."""

    ENTITY = NAME
    PATTERNS = [
        ("geo_pair", r"(?<![\d.])[-+]?\d{1,3}\.\d{4,}\s*[,，]\s*[-+]?\d{1,3}\.\d{4,}(?![\d.])", 0.4),
        ("geo_point", r"[Pp][Oo][Ii][Nn][Tt]\s*\(\s*[-+]?\d{1,3}\.\d+\s+[-+]?\d{1,3}\.\d+\s*\)", 0.5),
        ("geo_dms", r"(?<!\d)\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(?:\d{1,2}(?:\.\d+)?\s*[\"″]\s*)?[NSEWnsew]"
                    r"(?:[\s,，]*\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(?:\d{1,2}(?:\.\d+)?\s*[\"″]\s*)?[NSEWnsew])?", 0.5),
    ]
    CELL_REGEX = (r"^\(?\s*[-+]?\d{1,3}\.\d{4,}\s*[,，]\s*[-+]?\d{1,3}\.\d{4,}\s*\)?$|^(?i:POINT)\s*\(.*\)$"
                  r"|^\d{1,3}\s*°.*[NSEWnsew]$")
    HINTED_CELL_REGEX = CELL_REGEX + r"|^[-+]?\d{1,3}\.\d{4,}$"
    TEXT_PREFILTER = r"\d\.\d{4}|(?i:POINT)\s*\(|°"
    CONTEXT = ["坐标", "经纬度", "位置", "定位", "纬度", "经度", "gps", "location", "coordinates", "lat"]
    CHANCE = 0.4
    STRENGTH = 0.8

    @staticmethod
    def validate_value(value: str) -> bool:
        """Range (and the DMS minutes/seconds) of a coordinate."""
        return is_valid_coordinate(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="location",
    label_zh="经纬度坐标",
    label_en="Geographic coordinates",
    recognizer=GeoCoordinateRecognizer,
    rank=260,
    sensitive=True,
    headers=HeaderWords(
        zh=(("经纬度", STRONG), ("纬度", STRONG), ("经度", STRONG), ("坐标", STRONG), ("定位", WEAK)),
        en=(("lat", STRONG), ("latitude", STRONG), ("lng", STRONG), ("lon", STRONG),
            ("longitude", STRONG), ("coordinates", STRONG), ("coords", STRONG), ("latlng", STRONG),
            ("latlon", STRONG), ("geo", WEAK), ("gps", STRONG), ("geom", WEAK), ("geometry", WEAK)),
        phrases=((("geo", "location"), STRONG), (("gps", "location"), STRONG)),
        pinyin=(("jwd", STRONG),),
    ),
    mask=(0, 0),
    generalize="coordinate",
)
