"""Explain a person: when could they settle under each scenario, and which condition held them back."""

import streamlit as st

from ui import explain, state
from ui.i18n import t

settings = state.current()
lang = settings.lang
st.title(t("app.explain.title", lang))
st.caption(t("app.explain.intro", lang))
explain.page(settings)
