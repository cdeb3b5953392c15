"""The dashboard: ``streamlit run app.py`` (routing only; the pages are ``ui/pages/*.py``)."""

from ui.layout import navigation

navigation().run()
