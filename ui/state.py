"""The page settings, kept in the session state and mirrored in the URL so that a link reopens them.

The session keeps only references and edits (:class:`Settings`), never a model or a result. The
URL carries the same settings as query parameters::

    ?lang=en&b=ningbo-2018-baseline&v=ningbo-2019-reform&e1={"cities.ningbo.rules[1]…":{…}}
     &agents=20000&seeds=3&months=48&city=ningbo&run=1

``b`` is the baseline, ``v`` (repeated) the variants, ``e1``…``e3`` each variant's edits as JSON,
``run=1`` says the comparison was run (a shared link then shows the results, from the cache when
the server has them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ui import library
from ui.i18n import DEFAULT_LANG, LANGS

DEFAULT_BASELINE = "ningbo-2018-baseline"
DEFAULT_VARIANT = "ningbo-2019-reform"
MAX_VARIANTS = 3
LIMITS = {"agents": (1_000, 1_000_000), "seeds": (1, 20), "months": (6, 240)}
"""Allowed run settings (inclusive)."""
DEFAULTS = {"agents": 20_000, "seeds": 3, "months": 48}
"""Small enough to run in a few seconds on a laptop; the URL keeps whatever the user chooses."""
SESSION_KEY = "hukou_settings"


@dataclass(frozen=True)
class Settings:
    """What the pages show: language, scenarios with their edits, run sizes, selections.

    Attributes
    ----------
    variants : tuple of str
        One to three scenario references compared with ``baseline``.
    edits : tuple of dict
        Per variant, ``{field path: value}`` (see :mod:`ui.rules`).
    """

    lang: str = DEFAULT_LANG
    baseline: str = DEFAULT_BASELINE
    variants: tuple[str, ...] = (DEFAULT_VARIANT,)
    edits: tuple[dict[str, Any], ...] = ({},)
    agents: int = DEFAULTS["agents"]
    seeds: int = DEFAULTS["seeds"]
    months: int = DEFAULTS["months"]
    city: str = ""
    ran: bool = False
    person: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)
    """Query parameters that could not be used (reported once, not kept in the URL)."""

    def with_variant(self, position: int, ref: str) -> Settings:
        """Set variant ``position`` (0-based) to ``ref``, dropping its edits if the scenario changes."""
        variants = list(self.variants)
        edits = list(self.edits)
        if variants[position] != ref:
            variants[position] = ref
            edits[position] = {}
        return replace(self, variants=tuple(variants), edits=tuple(edits))

    def run_key(self) -> tuple[Any, ...]:
        """What determines the comparison's result (the settings that a run depends on)."""
        edits = tuple(json.dumps(e, sort_keys=True) for e in self.edits)
        return (self.baseline, self.variants, edits, self.agents, self.seeds, self.months)


def _clamp(name: str, text: str, problems: list[str]) -> int:
    low, high = LIMITS[name]
    try:
        value = int(text)
    except ValueError:
        problems.append(f"{name}={text}")
        return DEFAULTS[name]
    if not low <= value <= high:
        problems.append(f"{name}={text}")
        return min(max(value, low), high)
    return value


def from_query(params: Mapping[str, str | list[str]]) -> Settings:
    """Settings from query parameters; unusable values fall back to defaults and are listed in ``problems``."""

    def one(name: str) -> str | None:
        value = params.get(name)
        if isinstance(value, list):
            return value[-1] if value else None
        return value

    def many(name: str) -> list[str]:
        value = params.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    problems: list[str] = []
    settings = Settings()
    lang = one("lang")
    if lang is not None:
        if lang in LANGS:
            settings = replace(settings, lang=lang)
        else:
            problems.append(f"lang={lang}")
    baseline = one("b")
    if baseline is not None:
        if library.exists(baseline):
            settings = replace(settings, baseline=baseline)
        else:
            problems.append(f"b={baseline}")
    variants = []
    edits = []
    for position, ref in enumerate(many("v")[:MAX_VARIANTS]):
        if not library.exists(ref):
            problems.append(f"v={ref}")
            continue
        variants.append(ref)
        text = one(f"e{position + 1}")
        edit: dict[str, Any] = {}
        if text:
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, dict):
                edit = loaded
            else:
                problems.append(f"e{position + 1}")
        edits.append(edit)
    if variants:
        settings = replace(settings, variants=tuple(variants), edits=tuple(edits))
    for name in ("agents", "seeds", "months"):
        text = one(name)
        if text is not None:
            settings = replace(settings, **{name: _clamp(name, text, problems)})
    settings = replace(
        settings,
        city=one("city") or "",
        ran=one("run") == "1",
        person=one("person") or "",
        problems=tuple(problems),
    )
    return settings


def to_query(settings: Settings) -> dict[str, str | list[str]]:
    """Query parameters for ``settings`` (defaults left out, so that links stay short)."""
    query: dict[str, str | list[str]] = {"lang": settings.lang, "b": settings.baseline, "v": list(settings.variants)}
    for position, edit in enumerate(settings.edits):
        if edit:
            query[f"e{position + 1}"] = json.dumps(edit, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for name in ("agents", "seeds", "months"):
        value = getattr(settings, name)
        if value != DEFAULTS[name]:
            query[name] = str(value)
    if settings.city:
        query["city"] = settings.city
    if settings.ran:
        query["run"] = "1"
    if settings.person:
        query["person"] = settings.person
    return query


def as_dict(settings: Settings) -> dict[str, Any]:
    """Plain data of the settings (for the briefing's sources)."""
    data = asdict(settings)
    data.pop("problems")
    return data


# --------------------------------------------------------------------------- streamlit glue


def current() -> Settings:
    """The session's settings; on a session's first run, read from the URL."""
    import streamlit as st

    if SESSION_KEY not in st.session_state:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        st.session_state[SESSION_KEY] = from_query(params)
    return st.session_state[SESSION_KEY]


def update(settings: Settings) -> Settings:
    """Keep ``settings`` in the session and write them to the URL."""
    import streamlit as st

    st.session_state[SESSION_KEY] = replace(settings, problems=())
    query = to_query(settings)
    if {k: st.query_params.get_all(k) for k in st.query_params} != {
        k: v if isinstance(v, list) else [v] for k, v in query.items()
    }:
        st.query_params.from_dict(query)
    return settings
