"""The app's frame: page configuration, language switch and navigation (what ``app.py`` routes)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ui import state
from ui.i18n import LANGS, t

PAGES = (
    ("compare", "ui/pages/compare.py", ":material/compare_arrows:"),
    ("explain", "ui/pages/explain.py", ":material/person_search:"),
    ("scenarios", "ui/pages/scenarios.py", ":material/menu_book:"),
    ("calibration", "ui/pages/calibration.py", ":material/tune:"),
)
"""Page key (label ``app.nav.<key>``, URL path), script and icon; the first is the home page."""

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def language() -> str:
    """The language switch in the sidebar (shown on every page); returns the language chosen."""
    settings = state.current()
    key = "w_lang"
    if key not in st.session_state:
        st.session_state[key] = settings.lang
    lang = st.sidebar.radio("语言 · Language", LANGS, format_func=LANGUAGE_NAMES.__getitem__, key=key, horizontal=True)
    if lang != settings.lang:
        state.update(replace(settings, lang=lang))
    return lang


def navigation() -> st.navigation:
    """Configure the page and return the navigation over the pages, in the chosen language."""
    settings = state.current()
    # A briefing audience needs no developer menu ("Deploy", "Rerun"): show only the viewer's options.
    st.set_option("client.toolbarMode", "viewer")
    st.set_page_config(page_title=t("app.title", settings.lang), page_icon=":material/home_work:", layout="wide")
    lang = language()
    pages = [
        st.Page(script, title=t(f"app.nav.{name}", lang), icon=icon, url_path=name, default=index == 0)
        for index, (name, script, icon) in enumerate(PAGES)
    ]
    st.sidebar.caption(t("app.sidebar.about", lang))
    return st.navigation(pages)
