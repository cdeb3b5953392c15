"""Compare policy scenarios: pick a baseline and variants, edit a variant's rules, run, read the differences."""

from dataclasses import replace

import streamlit as st

from ui import state
from ui.i18n import t

settings = state.current()
lang = settings.lang
# The results' modules (the model, charts) take seconds to import on a server's first visit.
loading = st.empty()
loading.info(t("app.dash.loading", lang), icon=":material/hourglass_top:")

from ui import results, runs, widgets  # noqa: E402  (after the message: this import is the wait)

loading.empty()
before = settings.run_key()
st.title(t("app.compare.title", lang))
st.caption(t("app.compare.intro", lang))
widgets.url_problems(settings)

st.header(t("app.scenarios.title", lang), divider="gray")
settings = widgets.scenario_picker(settings)
with st.expander(t("app.edit.title", lang), expanded=any(settings.edits)):
    settings, fields_valid = widgets.rule_editor(settings)
valid = widgets.variant_diff(settings, show_errors=fields_valid) and fields_valid
no_common_city = results.common_city_problems(settings)
for problem in no_common_city:
    st.warning(problem, icon=":material/location_off:")

st.header(t("app.run.title", lang), divider="gray")
settings = widgets.run_settings(settings)
runs.warm_up(settings.agents, settings.months, 1 + len(settings.variants))
runnable = valid and not no_common_city
# Progress and the outcome of a run show beside the button, where the eye is after pressing it.
button, status = st.columns([1, 3], vertical_alignment="center")
pressed = button.button(
    t("app.run.button", lang), type="primary", disabled=not runnable, key="w_run", icon=":material/play_arrow:"
)
status = status.empty()
ran = runnable and (pressed or (settings.ran and settings.run_key() == before))
settings = state.update(replace(settings, ran=ran))
st.sidebar.caption(t("app.run.share", lang))
st.sidebar.code(widgets.share_link(settings), language=None, wrap_lines=True)

if ran:
    st.header(t("app.compare.results", lang), divider="gray")
    results.show(settings, status)
elif not valid:
    status.warning(t("app.dash.fix_edits", lang))
elif runnable:
    status.info(t("app.compare.press_run", lang))
