"""Widgets shared by the pages: scenario picker, rule editor, run settings, downloads.

Each widget reads its value from the session's :class:`~ui.state.Settings` the first time it is shown
and returns updated settings; widget keys start with ``w_`` and name what they edit, so that tests
(and the browser test) can find them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from sim.describe import diff
from sim.errors import SimError
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.vocabulary import Widget, kind_of
from sim.scenario import Scenario
from sim.scenario.schema import COUNT_MODES
from sim.scenario.yamlsource import MAX_FILE_BYTES
from ui import library, rules, state
from ui.i18n import t, t_or
from ui.state import MAX_VARIANTS, Settings

UPLOADS_KEY = library.UPLOADS_KEY
logger = logging.getLogger(__name__)


def _init(key: str, value: Any) -> str:
    """Give widget ``key`` its value from the settings the first time it is shown; return the key."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def url_problems(settings: Settings) -> None:
    """Say which query parameters of the link could not be used."""
    if settings.problems:
        st.warning(t("app.url.problems", settings.lang, params=", ".join(settings.problems)))


# ---------------------------------------------------------------------------------- scenarios


def _options(settings: Settings) -> list[str]:
    uploads = st.session_state.setdefault(UPLOADS_KEY, [])
    refs = [*library.comparable(), *uploads]
    for ref in (settings.baseline, *settings.variants):
        if ref not in refs:
            refs.append(ref)
    return refs


def _scenario_label(ref: str, lang: str) -> str:
    if library.is_upload(ref):
        return t("app.scenarios.uploaded", lang, title=library.title(ref, lang), file=library.upload_name(ref))
    return f"{library.title(ref, lang)} · {ref}"


def upload(settings: Settings) -> Settings:
    """Upload a scenario file: a valid one becomes the last variant; an invalid one shows why."""
    lang = settings.lang
    file = st.file_uploader(
        t("app.scenarios.upload", lang), type=["yaml", "yml"], key="w_upload", help=t("app.scenarios.upload_help", lang)
    )
    if file is None:
        return settings
    content = file.getvalue()
    if len(content) > MAX_FILE_BYTES:
        st.error(t("app.scenarios.too_large", lang, file=file.name, size=len(content), limit=MAX_FILE_BYTES))
        return settings
    try:
        ref, path = library.save_upload(file.name, content)
        library.load(ref)
    except SimError as err:
        st.error(t("app.scenarios.invalid", lang, file=file.name))
        st.code(library.validation_message(err, path, file.name), language=None)
        return settings
    except Exception:  # whatever an upload does, the page must go on working
        logger.exception("upload %s could not be loaded", file.name)
        st.error(t("app.scenarios.unreadable", lang, file=file.name))
        return settings
    uploads = st.session_state.setdefault(UPLOADS_KEY, [])
    if ref not in uploads:
        uploads.append(ref)
        position = len(settings.variants) - 1
        settings = settings.with_variant(position, ref)
        st.session_state[f"w_variant_{position}_{lang}"] = ref
    st.success(t("app.scenarios.uploaded_ok", lang, title=library.title(ref, lang), file=file.name))
    return settings


def scenario_picker(settings: Settings) -> Settings:
    """Baseline, number of variants and each variant; a scenario file may be uploaded."""
    lang = settings.lang
    selectors = st.container()
    with st.expander(t("app.scenarios.upload_title", lang)):
        settings = upload(settings)
    options = _options(settings)

    def label(ref: str) -> str:
        return _scenario_label(ref, lang)

    with selectors:
        left, right = st.columns([3, 1])
        # The keys name the language: a select box keeps the option labels it was first drawn with,
        # so a language switch draws new ones (their value comes from the settings).
        baseline = left.selectbox(
            t("app.scenarios.baseline", lang),
            options,
            format_func=label,
            key=_init(f"w_baseline_{lang}", settings.baseline),
        )
        count = right.number_input(
            t("app.scenarios.variant_count", lang),
            1,
            MAX_VARIANTS,
            key=_init("w_variant_count", len(settings.variants)),
        )
        variants = list(settings.variants)
        edits = list(settings.edits)
        while len(variants) < count:
            variants.append(variants[-1])
            edits.append({})
        variants, edits = variants[:count], edits[:count]
        settings = replace(settings, baseline=baseline, variants=tuple(variants), edits=tuple(edits))
        columns = st.columns(int(count))
        for position, column in enumerate(columns):
            ref = column.selectbox(
                t("app.scenarios.variant", lang, n=position + 1),
                options,
                format_func=label,
                key=_init(f"w_variant_{position}_{lang}", variants[position]),
            )
            settings = settings.with_variant(position, ref)
    return settings


# ---------------------------------------------------------------------------------- rule editor


def _edit_key(position: int, ref: str, editable: rules.Editable, part: str = "") -> str:
    return f"w_edit_{position}_{ref}_{editable.key}{'_' + part if part else ''}"


def _count_rule_widget(
    column: Any, editable: rules.Editable, current: dict[str, Any], key: Callable[[str], str], lang: str
) -> tuple[dict[str, Any], bool]:
    """The counting rule's widgets; returns the rule and whether it is valid (the reason shown beside it)."""
    count = column.radio(
        t("app.edit.count", lang),
        list(COUNT_MODES),
        horizontal=True,
        format_func=lambda c: t(f"app.edit.{c}", lang),
        key=_init(key("count"), current["count"]),
    )
    months = column.number_input(t("app.edit.months", lang), 1, 600, key=_init(key("months"), int(current["months"])))
    window = None
    valid = True
    if count == "cumulative":
        default = current.get("window") or min(int(months) + 12, 128)
        window = column.number_input(
            t("app.edit.window", lang),
            1,
            128,
            key=_init(key("window"), int(default)),
            help=t("app.edit.window_help", lang),
        )
        if window is not None and int(window) < int(months):
            column.error(t("app.dash.window_too_short", lang, window=int(window), months=int(months)))
            valid = False
    return rules.count_rule_value(count, int(months), window, editable.value), valid


def _number_widget(column: Any, editable: rules.Editable, current: Any, key: str, lang: str) -> Any:
    label = t_or(f"fields.{editable.field}", lang, editable.field)
    if editable.kind == "points":
        label = t("app.edit.points", lang, item=editable.route)
    elif editable.kind in ("quota", "threshold", "processing"):
        label = t(f"app.edit.{editable.kind}", lang)
    is_float = isinstance(editable.value, float) or editable.kind in ("points", "threshold")
    if editable.kind == "number" and kind_of(CONDITION_KINDS, editable.field).widget is Widget.NUMBER:
        is_float = True
    value = None if current is None else (float(current) if is_float else int(current))
    step = 0.5 if is_float else 1
    upper = 36 if editable.kind == "processing" else None
    minimum = None if editable.kind in ("points", "threshold") else (0.0 if is_float else 0)
    result = column.number_input(
        label,
        min_value=minimum,
        max_value=upper,
        step=step,
        key=_init(key, value),
        help=t(f"app.edit.help_{editable.kind}", lang),
    )
    if result is not None and not is_float:
        result = int(result)
    return result


def rule_editor(settings: Settings) -> tuple[Settings, bool]:
    """Edit the latest rule set of a variant, one tab per channel, its changes against the baseline beside.

    Returns the settings with the edits and whether every edited field is valid (a field that is not
    says why next to it).
    """
    lang = settings.lang
    st.markdown(t("app.edit.intro", lang))
    position = 0
    if len(settings.variants) > 1:
        position = st.radio(
            t("app.edit.which", lang),
            range(len(settings.variants)),
            horizontal=True,
            format_func=lambda p: (
                t("app.scenarios.variant", lang, n=p + 1) + " · " + library.title(settings.variants[p], lang)
            ),
            key="w_edit_which",
        )
    ref = settings.variants[position]
    try:
        scenario = library.load(ref)
    except (SimError, KeyError) as err:
        st.error(str(err))
        return settings, False
    edits = dict(settings.edits[position])
    items = rules.editables(scenario)
    known = {item.key for item in items}
    edits = {k: v for k, v in edits.items() if k in known}
    by_channel: dict[tuple[str, str], list[rules.Editable]] = {}
    for item in items:
        by_channel.setdefault((item.city, item.channel), []).append(item)
    valid = True
    editor, beside = st.columns([3, 2])
    several_cities = len({city for city, _ in by_channel}) > 1
    with editor:
        titles = [
            t_or(f"channels.{channel}", lang, channel) + (f" · {_city_name(scenario, city, lang)}" * several_cities)
            for city, channel in by_channel
        ]
        for tab, ((city, _), group) in zip(st.tabs(titles) if titles else [], by_channel.items(), strict=True):
            with tab:
                valid &= _channel_fields(scenario, city, group, edits, position, ref, lang)
    all_edits = list(settings.edits)
    all_edits[position] = edits
    if edits and editor.button(t("app.edit.reset", lang), key="w_edit_reset"):
        for key in [k for k in st.session_state if str(k).startswith(f"w_edit_{position}_")]:
            del st.session_state[key]
        all_edits[position] = {}
        st.session_state[state.SESSION_KEY] = replace(settings, edits=tuple(all_edits))
        st.rerun()
    settings = replace(settings, edits=tuple(all_edits))
    with beside:
        st.markdown(f"**{t('app.dash.diff_beside', lang)}**")
        if not edits:
            st.caption(t("app.dash.edits_none", lang))
        if valid:
            _diff_of(settings, position)
    return settings, valid


def _channel_fields(
    scenario: Scenario,
    city: str,
    group: list[rules.Editable],
    edits: dict[str, Any],
    position: int,
    ref: str,
    lang: str,
) -> bool:
    """The fields of one channel, route by route; updates ``edits``; False if a field is invalid."""
    valid = True
    rule_set = scenario.cities[city].rules[group[0].index]
    st.caption(
        t(
            "app.edit.channel_head",
            lang,
            channel=t_or(f"channels.{group[0].channel}", lang, group[0].channel),
            city=_city_name(scenario, city, lang),
            date=rule_set.effective.isoformat(),
        )
    )
    routes: dict[str | None, list[rules.Editable]] = {}
    for item in group:
        routes.setdefault(item.route if item.kind in ("count_rule", "number") else None, []).append(item)
    for route, fields in routes.items():
        if route is not None:
            st.markdown(t("app.edit.route", lang, route=t_or(f"route_names.{route}", lang, route)))
        columns = st.columns(max(3, len(fields)))
        for column, item in zip(columns, fields, strict=False):
            current = edits.get(item.key, item.value)
            if item.kind == "count_rule":
                column.markdown(f"**{t_or(f'fields.{item.field}', lang, item.field)}**")
                value, ok = _count_rule_widget(
                    column, item, current, lambda part, item=item: _edit_key(position, ref, item, part), lang
                )
                valid &= ok
            else:
                value = _number_widget(column, item, current, _edit_key(position, ref, item), lang)
            if rules.same_value(value, item.value):
                edits.pop(item.key, None)
            else:
                edits[item.key] = value
    return valid


def _diff_of(settings: Settings, position: int) -> None:
    """The changes of variant ``position`` (with its edits) against the baseline, as Markdown."""
    try:
        baseline = library.load(settings.baseline)
        variant = edited_scenario(settings, position)
    except (SimError, ValueError, KeyError):
        return  # the page reports the error under the editor
    st.markdown(demote_headings(diff(baseline, variant, settings.lang), levels=4))


def _city_name(scenario: Scenario, city: str, lang: str) -> str:
    name = scenario.cities[city].name
    return name.zh if lang == "zh" else name.en


def demote_headings(markdown: str, levels: int = 3) -> str:
    """Markdown with its headings made smaller (a diff inside an expander is not a page)."""
    return "\n".join("#" * levels + line if line.startswith("#") else line for line in markdown.splitlines())


def edited_scenario(settings: Settings, position: int) -> Scenario:
    """Variant ``position`` with its edits (raises :class:`~sim.errors.SimError` if they do not validate)."""
    ref = settings.variants[position]
    edits = settings.edits[position]
    if not edits:
        return library.load(ref)
    overrides = rules.overrides_for(library.load(ref), edits)
    return library.load(ref, overrides)


def variant_diff(settings: Settings, *, show_errors: bool = True) -> bool:
    """Each variant's changes against the baseline (with its edits); False if an edit does not validate.

    ``show_errors`` False leaves the error to the field that caused it (the rule editor's message).
    """
    lang = settings.lang
    ok = True
    try:
        baseline = library.load(settings.baseline)
    except (SimError, KeyError) as err:
        st.error(str(err))
        return False
    for position, ref in enumerate(settings.variants):
        title = t("app.edit.diff_title", lang, n=position + 1, title=library.title(ref, lang))
        try:
            variant = edited_scenario(settings, position)
        except (SimError, ValueError) as err:
            if show_errors:
                st.error(t("app.edit.invalid", lang, n=position + 1))
                st.code(str(err), language=None)
            ok = False
            continue
        with st.expander(title, expanded=False):
            if settings.edits[position]:
                st.caption(t("app.edit.your_edits", lang))
                st.code(json.dumps(settings.edits[position], ensure_ascii=False, indent=1), language="json")
            st.markdown(demote_headings(diff(baseline, variant, lang)))
    return ok


# ---------------------------------------------------------------------------------- run settings


def run_settings(settings: Settings) -> Settings:
    """Agents, seeds and months of every run."""
    lang = settings.lang
    low, high = state.LIMITS["agents"]
    a, b, c = st.columns(3)
    agents = a.number_input(
        t("app.run.agents", lang),
        low,
        high,
        step=5_000,
        key=_init("w_agents", settings.agents),
        help=t("app.run.agents_help", lang),
    )
    seeds = b.slider(
        t("app.run.seeds", lang),
        *state.LIMITS["seeds"],
        key=_init("w_seeds", settings.seeds),
        help=t("app.run.seeds_help", lang),
    )
    months = c.number_input(
        t("app.run.months", lang),
        *state.LIMITS["months"],
        step=12,
        key=_init("w_months", settings.months),
        help=t("app.run.months_help", lang),
    )
    return replace(settings, agents=int(agents), seeds=int(seeds), months=int(months))


# ---------------------------------------------------------------------------------- sharing, downloads


def share_link(settings: Settings, page: str = "") -> str:
    """The link that reopens these settings (shown with a copy button)."""
    base = (st.context.url or "").split("?")[0]
    if page and base and not base.rstrip("/").endswith(page):
        base = base.rstrip("/") + "/" + page
    query = urlencode(state.to_query(settings), doseq=True)
    return f"{base}?{query}" if base else f"?{query}"


def download(label: str, data: bytes | str | Callable[[], bytes | str], file_name: str, mime: str, key: str) -> None:
    """A download button that does not rerun the page."""
    st.download_button(
        label, data, file_name=file_name, mime=mime, key=key, on_click="ignore", icon=":material/download:"
    )
