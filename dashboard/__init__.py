"""The dashboard: FastAPI pages (Jinja2), the JSON API, Atom and iCalendar feeds, /metrics.

It is given a started application (``monitor.app.App``) by `lexwatch serve` and
`lexwatch run`.
"""
