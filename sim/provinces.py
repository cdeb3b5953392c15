"""The mainland's provincial-level divisions, in the national statistical order.

Person files name a province (``origin.province``) and scenarios a city's province
(``cities.<id>.province``); ``Population.origin_province`` stores its index in :data:`PROVINCES`.
"""

from __future__ import annotations

PROVINCES = (
    "beijing",
    "tianjin",
    "hebei",
    "shanxi",
    "inner_mongolia",
    "liaoning",
    "jilin",
    "heilongjiang",
    "shanghai",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "guangxi",
    "hainan",
    "chongqing",
    "sichuan",
    "guizhou",
    "yunnan",
    "tibet",
    "shaanxi",
    "gansu",
    "qinghai",
    "ningxia",
    "xinjiang",
)
"""The 31 provincial-level divisions of the mainland; ``origin_province`` indexes this tuple."""

PROVINCE_INDEX = {name: i for i, name in enumerate(PROVINCES)}
