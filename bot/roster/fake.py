"""Plausible fake names and obviously fake phone numbers for the demo roster, deterministic by code.

Names are drawn from common surnames and given-name characters with a generator seeded by the
technician's code, so regenerating the roster gives every technician the same name again. Phone numbers
all start 1380001 (the demo block next to config.yml's 13800000xxx): numbered in roster order,
recognisably not a real person's.
"""

from __future__ import annotations

import random
import zlib

# Common surnames, roughly by frequency (repeats weight the draw).
_SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SINGLE = tuple("伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳")
_DOUBLE = (
    "建国", "建华", "志强", "志明", "海涛", "海波", "永强", "永刚", "晓东", "晓明", "文斌", "文杰", "春雷", "红军",
    "立新", "立伟", "振华", "振宇", "德明", "德胜", "金龙", "金生", "玉林", "玉明", "庆华", "庆丰", "光辉", "光明",
    "国平", "国栋", "卫东", "卫国", "少华", "少军", "学军", "学文", "明亮", "家豪", "子健", "俊杰",
)
DEMO_PHONE_PREFIX = "1380001"


def fake_name(code: str) -> str:
    """A two- or three-character name, the same for the same ``code`` every time."""
    rng = random.Random(zlib.crc32(code.encode("utf-8")))
    surname = rng.choice(_SURNAMES)
    given = rng.choice(_DOUBLE) if rng.random() < 0.6 else rng.choice(_SINGLE)
    return surname + given


def fake_phone(index: int) -> str:
    """The ``index``-th demo number: 1380001 followed by four digits."""
    if not 0 <= index < 10_000:
        raise ValueError(f"demo phone numbers run out at 10000 technicians (asked for #{index})")
    return f"{DEMO_PHONE_PREFIX}{index:04d}"
