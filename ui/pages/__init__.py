"""The dashboard's pages (scripts that ``st.navigation`` runs; see ``app.py``)."""
