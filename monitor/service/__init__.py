"""The service: what keeps lexwatch checking without anyone at the keyboard.

``schedule`` is `lexwatch run` (APScheduler in one process: checks, deliveries, digests,
retention, the dashboard beside them); ``cluster`` is the scale-out on PostgreSQL
(`lexwatch scheduler` queues jobs, `lexwatch worker` runs them, with procrastinate);
``heartbeat`` stamps a running service in the database and ``status`` reads it back for
`lexwatch status`. The service is given a started application (``lexwatch.Lexwatch``: the
App of ``monitor.app`` is one) and never builds one itself.
"""
