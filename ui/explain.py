"""The explain page's widgets and views: pick or enter a person, then their timeline under each scenario."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from sim import plots
from sim.errors import PersonFileError, SimError
from sim.months import month_label
from sim.person import PROVINCES, PersonRecord
from sim.scenario.yamlsource import parse_yaml
from ui import library, persons, rules, state
from ui.i18n import t, t_or
from ui.results import labels_for
from ui.state import Settings
from ui.widgets import download

STATE_COLOURS = {
    "eligible": "#2a9d5b",
    "points_pool": "#9fd6b0",
    "not_eligible": "#e9a3a3",
    "not_arrived": "#d9d9d9",
    "no_rules": "#f2f2f2",
}


def scenarios(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, name, overrides)`` of the compared scenarios, with their references (baseline first)."""
    lang = settings.lang
    found = []
    labels = labels_for(settings)
    for ref, edit, label in zip([settings.baseline, *settings.variants], [{}, *settings.edits], labels, strict=True):
        overrides = rules.overrides_for(library.load(ref), edit) if edit else {}
        name = library.title(ref, lang) + (t("app.compare.edited", lang) if edit else "")
        if "#" in label:
            name += f" ({label.rsplit('#', 1)[-1]})"
        found.append((label, name, {"ref": ref, "overrides": overrides}))
    return found


def person_picker(settings: Settings, city: str, start: int) -> tuple[Settings, dict[str, Any] | None, str]:
    """Choose a household type, an example person file or an uploaded one; return its data and name."""
    lang = settings.lang
    types = list(persons.household_types())
    examples = persons.examples()
    options = [f"type:{name}" for name in types] + [f"file:{name}" for name in examples] + ["upload"]
    chosen = settings.person if settings.person in options else options[0]

    def label(option: str) -> str:
        kind, _, name = option.partition(":")
        if kind == "type":
            return t(f"app.households.{name}.name", lang)
        if kind == "file":
            return t("app.explain.example", lang, name=_file_name(examples[name]))
        return t("app.explain.upload_option", lang)

    key = "w_person"
    if key not in st.session_state:
        st.session_state[key] = chosen
    option = st.selectbox(t("app.explain.person", lang), options, format_func=label, key=key)
    settings = replace(settings, person=option)
    kind, _, name = option.partition(":")
    if kind == "type":
        st.caption(t(f"app.households.{name}.note", lang))
        data = persons.resolve_template(persons.household_types()[name], start, city)
        return settings, data, t(f"app.households.{name}.name", lang)
    if kind == "file":
        data = yaml.safe_load(examples[name].read_text(encoding="utf-8"))
        return settings, data, _file_name(examples[name])
    file = st.file_uploader(t("app.explain.upload", lang), type=["yaml", "yml"], key="w_person_upload")
    if file is None:
        st.info(t("app.explain.upload_hint", lang))
        return settings, None, ""
    try:
        data, _ = parse_yaml(file.getvalue().decode("utf-8"), file.name, error=PersonFileError)
    except PersonFileError as err:
        st.error(t("app.explain.invalid_person", lang))
        st.code(str(err), language=None)
        return settings, None, ""
    except UnicodeDecodeError as err:
        st.error(t("app.explain.invalid_person", lang))
        st.code(f"{file.name}: expected UTF-8 text, found byte 0x{err.object[err.start]:02x}.", language=None)
        return settings, None, ""
    if not isinstance(data, dict):
        st.error(t("app.explain.invalid_person", lang))
        return settings, None, ""
    return settings, data, str(data.get("name") or file.name)


def _file_name(path) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(data.get("name") or path.stem)


def person_form(data: dict[str, Any], city: str, lang: str, source: str) -> dict[str, Any]:
    """The "enter a person" form, prefilled from ``data``; returns the data with the form applied once submitted."""
    values = persons.form_values(data, city)
    prefix = f"w_pf_{source}_{city}_"
    result: dict[str, Any] = {}
    with st.form(f"person_form_{source}_{city}"):
        cols = st.columns(4)
        fields = list(persons.FORM_FIELDS)
        for index, field in enumerate(fields):
            column = cols[index % 4]
            key = prefix + field
            if key not in st.session_state:
                st.session_state[key] = values[field]
            label = t(f"app.person.{field}", lang)
            if field == "sex":
                result[field] = column.selectbox(
                    label, ["female", "male"], key=key, format_func=lambda v: t(f"app.person.{v}", lang)
                )
            elif field == "education":
                result[field] = column.selectbox(
                    label, persons.EDUCATION_CHOICES, key=key, format_func=lambda v: t(f"education.{v}", lang)
                )
            elif field == "skill":
                result[field] = column.selectbox(
                    label, persons.SKILL_CHOICES, key=key, format_func=lambda v: t(f"skill.{v}", lang)
                )
            elif field == "hukou":
                result[field] = column.selectbox(
                    label, ["rural", "urban"], key=key, format_func=lambda v: t(f"app.person.{v}", lang)
                )
            elif field == "province":
                result[field] = column.selectbox(label, PROVINCES, key=key)
            elif field == "tenure":
                result[field] = column.selectbox(
                    label, ["rent", "own_home"], key=key, format_func=lambda v: t(f"tenure.{v}", lang)
                )
            elif field == "floor_area_m2":
                result[field] = column.number_input(label, 1.0, 10_000.0, step=5.0, key=key)
            elif field == "honours":
                result[field] = column.number_input(label, 0, 100, key=key)
            elif field in ("owns_commercial_property", "spouse", "shortage_industry"):
                result[field] = column.checkbox(label, key=key)
            else:
                result[field] = column.text_input(label, key=key, help=t(f"app.person.help_{field}", lang))
        if st.form_submit_button(t("app.explain.apply", lang), type="primary"):
            st.session_state[prefix + "submitted"] = True
    if not st.session_state.get(prefix + "submitted"):
        return data  # the person as chosen, until the form is used
    return persons.apply_form(data, result, city)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_timeline(
    ref: str, overrides_json: str, person_json: str, city: str, first: int, months: int, lang: str, extend: bool
) -> list[persons.Month]:
    """A person's timeline under one scenario (cached)."""
    scenario = library.load(ref, json.loads(overrides_json))
    record = persons.record_from_data(json.loads(person_json), "person")
    return persons.timeline(scenario, city, record, first, months, lang, extend=extend)


def show(settings: Settings, record: PersonRecord, data: dict[str, Any], city: str, first: int, extend: bool) -> None:
    """Summary, timeline chart, reasons by period and points ledger under each scenario."""
    lang = settings.lang
    person_json = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    rows_by_name: dict[str, list[persons.Month]] = {}
    for _label, name, spec in scenarios(settings):
        scenario = library.load(spec["ref"], spec["overrides"] or None)
        if city not in scenario.cities:
            st.warning(t("app.explain.city_missing", lang, scenario=name, city=city))
            continue
        overrides_json = json.dumps(spec["overrides"], sort_keys=True, ensure_ascii=False)
        rows_by_name[name] = cached_timeline(
            spec["ref"], overrides_json, person_json, city, first, settings.months, lang, extend
        )
    if not rows_by_name:
        return
    st.subheader(t("app.explain.summary", lang))
    summary = pd.DataFrame(
        [
            {
                t("app.explain.col_scenario", lang): name,
                t("app.explain.col_first", lang): found["first"],
                t("app.explain.col_channels", lang): found["channels"],
                t("app.explain.col_held_back", lang): found["held_back"],
            }
            for name, rows in rows_by_name.items()
            for found in [persons.summary(rows, lang)]
        ]
    )
    st.table(summary, hide_index=True)
    frame = persons.timeline_frame(rows_by_name)
    figure = plots.timeline(
        frame,
        x="month",
        row="scenario",
        state="state",
        title=t("app.explain.timeline_title", lang),
        states=STATE_COLOURS,
        labels=lambda key: t_or(f"app.explain.state_{key}", lang, key),
        date_format="%Y年" if lang == "zh" else "%Y",
    )
    png = plots.figure_png(figure)
    st.image(png, width="stretch")
    a, b = st.columns(2)
    with a:
        download(t("app.download.png", lang), png, f"timeline-{lang}.png", "image/png", key="w_dl_timeline_png")
    with b:
        download(
            t("app.download.csv", lang),
            frame.to_csv(index=False).encode("utf-8-sig"),
            f"timeline-{lang}.csv",
            "text/csv",
            key="w_dl_timeline_csv",
        )
    st.subheader(t("app.explain.reasons", lang))
    tabs = st.tabs(list(rows_by_name))
    for tab, (_name, rows) in zip(tabs, rows_by_name.items(), strict=True):
        periods = [
            {
                t("app.explain.col_from", lang): month_label(first_month),
                t("app.explain.col_to", lang): month_label(last_month),
                t("app.explain.col_state", lang): t(f"app.explain.state_{state_name}", lang),
                t("app.explain.col_detail", lang): _channels_text(text, lang) if state_name != "not_eligible" else text,
            }
            for first_month, last_month, state_name, text in persons.reason_periods(rows)
        ]
        tab.table(pd.DataFrame(periods), hide_index=True)
    ledger = persons.ledger_frame(rows_by_name)
    if not ledger.empty:
        st.subheader(t("app.explain.ledger", lang))
        figure = plots.stacked_areas(
            ledger,
            x="month",
            stack="item",
            facet="scenario",
            value="points",
            title=t("app.explain.ledger_title", lang),
            ylabel=t("app.units.points", lang),
            labels=lambda key: key,
            number=lambda v: f"{v:g}",
            date_format="%Y年" if lang == "zh" else "%Y",
        )
        png = plots.figure_png(figure)
        st.image(png, width="stretch")
        download(t("app.download.png", lang), png, f"points-ledger-{lang}.png", "image/png", key="w_dl_ledger_png")
        last = ledger[ledger["month"] == ledger["month"].max()]
        table = last.pivot_table(index="item", columns="scenario", values="points", aggfunc="sum").reset_index()
        st.caption(t("app.explain.ledger_last", lang, month=ledger["month"].max().strftime("%Y-%m")))
        st.dataframe(table, hide_index=True)


def _channels_text(text: str, lang: str) -> str:
    if not text or ("," not in text and text not in persons.CHANNEL_ORDER):
        return text
    return t("phrases.list_separator", lang).join(t_or(f"channels.{c}", lang, c) for c in text.split(","))


def page(settings: Settings) -> Settings:
    """The whole explain page below its title; returns the settings (the person chosen)."""
    lang = settings.lang
    try:
        baseline = library.load(settings.baseline)
        scenarios(settings)
    except (SimError, ValueError, KeyError) as err:
        st.error(t("app.compare.cannot_run", lang))
        st.code(str(err), language=None)
        return settings
    cities = list(baseline.cities)
    city = settings.city if settings.city in cities else cities[0]
    left, right = st.columns([1, 2])
    with left:
        city = st.selectbox(
            t("app.compare.city", lang),
            cities,
            index=cities.index(city),
            key="w_explain_city",
            format_func=lambda c: baseline.cities[c].name.zh if lang == "zh" else baseline.cities[c].name.en,
        )
        extend = st.checkbox(
            t("app.explain.extend", lang), value=True, key="w_explain_extend", help=t("app.explain.extend_help", lang)
        )
    with right:
        settings, data, name = person_picker(replace(settings, city=city), city, baseline.start)
    state.update(settings)
    if data is None:
        return settings
    with st.expander(t("app.explain.edit_person", lang)):
        source = settings.person
        if settings.person == "upload":
            source += hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]
        data = person_form(data, city, lang, source)
    if name and "name" not in data:
        data["name"] = name
    try:
        record = persons.record_from_data(data, name or "person")
    except SimError as err:
        st.error(t("app.explain.invalid_person", lang))
        st.code(str(err), language=None)
        return settings
    st.caption(
        t(
            "app.explain.period",
            lang,
            first=month_label(baseline.start),
            last=month_label(baseline.start + settings.months - 1),
        )
    )
    show(settings, record, data, city, baseline.start, extend)
    return settings
