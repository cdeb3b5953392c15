"""Compare policy scenarios: pick a baseline and variants, edit a variant's rules, run, read the differences."""

from dataclasses import replace

import streamlit as st

from ui import results, runs, state, widgets
from ui.i18n import t

settings = state.current()
lang = settings.lang
before = settings.run_key()
st.title(t("app.compare.title", lang))
st.caption(t("app.compare.intro", lang))
widgets.url_problems(settings)

st.header(t("app.scenarios.title", lang), divider="gray")
settings = widgets.scenario_picker(settings)
with st.expander(t("app.edit.title", lang), expanded=any(settings.edits)):
    settings = widgets.rule_editor(settings)
valid = widgets.variant_diff(settings)

st.header(t("app.run.title", lang), divider="gray")
settings = widgets.run_settings(settings)
runs.warm_up(settings.agents, settings.months, 1 + len(settings.variants))
pressed = st.button(
    t("app.run.button", lang), type="primary", disabled=not valid, key="w_run", icon=":material/play_arrow:"
)
ran = valid and (pressed or (settings.ran and settings.run_key() == before))
settings = state.update(replace(settings, ran=ran))
st.caption(t("app.run.share", lang))
st.code(widgets.share_link(settings), language=None)

if ran:
    st.header(t("app.compare.results", lang), divider="gray")
    results.show(settings)
else:
    st.info(t("app.compare.press_run", lang))
