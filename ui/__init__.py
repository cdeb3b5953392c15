"""The dashboard: pages, widgets and translations over :mod:`sim` (see ``docs/dashboard.md``)."""
