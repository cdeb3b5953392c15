"""The dashboard: ``streamlit run app.py`` (routing only; the pages are ``ui/pages/*.py``)."""

import streamlit as st

from ui.i18n import DEFAULT_LANG, LANGS, t

# The first visit imports the model (seconds): say so at once instead of showing a blank page.
_lang = st.query_params.get("lang", DEFAULT_LANG)
_loading = st.empty()
_loading.info(t("app.dash.loading", _lang if _lang in LANGS else DEFAULT_LANG), icon=":material/hourglass_top:")

from ui.layout import navigation  # noqa: E402  (after the message: this import is the wait)

_loading.empty()
navigation().run()
