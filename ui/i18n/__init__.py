"""Translations: every text the dashboard shows comes from ``ui/i18n/<lang>.yaml`` through :func:`t`.

Keys are dotted paths into the label files, e.g. ``t("channels.talent", "zh")`` or
``t("app.run.button", "en")``; the files share their vocabulary with :mod:`sim.describe`
(channel, field and level names are the scenario schema's). Templates take ``{placeholders}``:
``t("app.compare.progress", lang, done=2, total=5)``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import yaml

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
HERE = Path(__file__).resolve().parent


class MissingLabelError(KeyError):
    """A key asked for is in neither label file: add it to ``ui/i18n/zh.yaml`` and ``en.yaml``."""


@functools.cache
def catalogue(lang: str) -> dict[str, Any]:
    """The label tree of ``lang`` (cached; the files are read once per process)."""
    if lang not in LANGS:
        raise ValueError(f"language '{lang}' is not available; choose one of {', '.join(LANGS)}")
    return yaml.safe_load((HERE / f"{lang}.yaml").read_text(encoding="utf-8"))


def lookup(key: str, lang: str) -> Any:
    """The raw value (a string or a subtree) at dotted ``key``; raise :class:`MissingLabelError` if absent."""
    node: Any = catalogue(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise MissingLabelError(f"no label '{key}' in ui/i18n/{lang}.yaml")
        node = node[part]
    return node


def t(key: str, lang: str, **values: object) -> str:
    """The label at dotted ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Raises
    ------
    MissingLabelError
        If the key is missing: every visible text must have a label in both languages.
    """
    text = lookup(key, lang)
    if isinstance(text, dict):
        raise MissingLabelError(f"'{key}' in ui/i18n/{lang}.yaml is a section, not a label")
    text = str(text)
    return text.format(**values) if values else text


def t_or(key: str, lang: str, default: str) -> str:
    """The label at ``key``, or ``default`` for values that have none (e.g. a scenario's own route name)."""
    try:
        return t(key, lang)
    except MissingLabelError:
        return default


def number(value: float, lang: str, *, decimals: int = 0, signed: bool = False) -> str:
    """A number written the language's one way: ``12,727`` in English; ``1.2727万`` in Chinese from 10,000.

    The same convention is used in tables, sentences, tooltips and axis ticks (:func:`tick`). No digit
    is lost: the value rounded to ``decimals`` is written whole (an estimate is rounded by its caller,
    e.g. to significant figures with :func:`significant`).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    value = _no_negative_zero(round(float(value), decimals), decimals)
    if lang == "zh" and abs(value) >= 10_000:
        text = f"{value / 10_000:{sign},.{4 + decimals}f}".rstrip("0").rstrip(".")
        return f"{text}万"
    return f"{value:{sign},.{decimals}f}"


def significant(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` significant figures (an estimate written as precisely as it is known)."""
    if value is None or not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _no_negative_zero(value: float, decimals: int) -> float:
    """``value``, with anything that rounds to zero made exactly zero (never "-0.0")."""
    return 0.0 if round(float(value), decimals) == 0 else value


def tick(value: float, lang: str) -> str:
    """An axis tick in the language's convention (as :func:`number`): ``250,000`` / ``25万``."""
    magnitude = abs(value)
    if magnitude < 1e-9:
        return "0"
    if lang == "zh" and magnitude >= 1e8:
        return f"{value / 1e8:g}亿"
    if magnitude < 10 and not float(value).is_integer():
        return f"{value:.1f}"
    return number(value, lang)


def share(value: float, lang: str, *, signed: bool = False) -> str:
    """A share as a percentage (a difference in percentage points when ``signed``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    percent = _no_negative_zero(value * 100, 1)
    if signed:
        return t("app.format.points_pp", lang, value=f"{percent:+.1f}")
    return f"{percent:.1f}%"
