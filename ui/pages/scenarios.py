"""The scenarios in words: a scenario's rule timeline, and what one scenario changes compared with another."""

import streamlit as st

from ui import scenario_view, state
from ui.i18n import t

settings = state.current()
lang = settings.lang
st.title(t("app.scenarios_page.title", lang))
st.caption(t("app.scenarios_page.intro", lang))
scenario_view.page(settings)
