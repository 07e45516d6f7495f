"""The dashboard: FastAPI pages (Jinja2), the JSON API, Atom and iCalendar feeds, /metrics.

It reads through ``storage`` only (``Store.reader``; Store methods for its few actions) and
opens no database session of its own. It is given the running application
(``deps.Lexwatch``: ``monitor.app.App`` is one) by `lexwatch serve` and `lexwatch run`.
"""
