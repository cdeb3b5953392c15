"""The scenarios page: describe one scenario, or diff two (with the variants' edits), in either language."""

from __future__ import annotations

import streamlit as st

from sim.describe import describe, describe_html, diff, markdown_to_html
from sim.errors import SimError
from ui import library
from ui.i18n import t
from ui.state import Settings
from ui.widgets import download, edited_scenario


def page(settings: Settings) -> None:
    """Describe a scenario and diff two, with downloads of both as HTML."""
    lang = settings.lang
    choices = {"baseline": settings.baseline}
    choices |= {f"variant{position}": ref for position, ref in enumerate(settings.variants)}
    refs = list(dict.fromkeys([*choices.values(), *library.presets()]))

    def label(ref: str) -> str:
        return f"{library.title(ref, lang)} · {ref}" if not library.is_upload(ref) else library.title(ref, lang)

    describe_tab, diff_tab = st.tabs([t("app.scenarios_page.describe", lang), t("app.scenarios_page.diff", lang)])
    with describe_tab:
        ref = st.selectbox(t("app.scenarios_page.scenario", lang), refs, format_func=label, key="w_describe")
        try:
            scenario = library.load(ref)
        except (SimError, KeyError) as err:
            st.error(str(err))
        else:
            download(
                t("app.download.html", lang),
                lambda: describe_html(scenario, lang),
                f"{scenario.id}-{lang}.html",
                "text/html",
                key="w_dl_describe",
            )
            st.markdown(describe(scenario, lang))
    with diff_tab:
        st.caption(t("app.scenarios_page.diff_note", lang))
        try:
            base = library.load(settings.baseline)
            variants = [edited_scenario(settings, p) for p in range(len(settings.variants))]
        except (SimError, ValueError, KeyError) as err:
            st.error(str(err))
            return
        for position, variant in enumerate(variants):
            text = diff(base, variant, lang)
            title = t(
                "app.edit.diff_title", lang, n=position + 1, title=library.title(settings.variants[position], lang)
            )
            st.subheader(title)
            download(
                t("app.download.html", lang),
                lambda text=text, title=title: markdown_to_html(text, title, lang),
                f"diff-{position + 1}-{lang}.html",
                "text/html",
                key=f"w_dl_diff_{position}",
            )
            st.markdown(text)
