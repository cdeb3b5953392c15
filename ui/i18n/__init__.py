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
    """A number written the language's way: ``12,345`` / ``12,345``; large counts in 万 for Chinese."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if lang == "zh" and abs(value) >= 100_000:
        return f"{value / 10_000:{sign},.1f}万"
    return f"{value:{sign},.{decimals}f}"


def tick(value: float, lang: str) -> str:
    """A compact axis tick: ``1.2M`` / ``120万``."""
    magnitude = abs(value)
    if lang == "zh":
        if magnitude >= 1e8:
            return f"{value / 1e8:g}亿"
        if magnitude >= 1e4:
            return f"{value / 1e4:g}万"
    else:
        if magnitude >= 1e6:
            return f"{value / 1e6:g}M"
        if magnitude >= 1e3:
            return f"{value / 1e3:g}k"
    if magnitude and magnitude < 10 and not float(value).is_integer():
        return f"{value:.1f}"
    return f"{value:g}"


def share(value: float, lang: str, *, signed: bool = False) -> str:
    """A share as a percentage (a difference in percentage points when ``signed``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if signed:
        return t("app.format.points_pp", lang, value=f"{value * 100:+.1f}")
    return f"{value * 100:.1f}%"
