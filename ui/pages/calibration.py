"""Calibration: the published figures the model is fitted to, and how well the fit of record reproduces them."""

import streamlit as st

from ui import calibration_view, state
from ui.i18n import t

settings = state.current()
lang = settings.lang
st.title(t("app.calibration.title", lang))
st.caption(t("app.calibration.intro", lang))
calibration_view.page(settings)
