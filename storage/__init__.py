"""Storage: the one door to the database (SQLite or PostgreSQL).

``store.Store`` is the handle the pipeline, the CLI, the service and the notifiers use, and
``Store.reader`` (``reader.Reader``) the dashboard's; every SQL statement lives in this
package: ``checks`` writes a check (the one write path), ``queries`` the other reads and
writes, ``browse`` the dashboard's reads, ``outbox`` the deliveries, ``retention`` pruning.
``models`` are the tables, ``codec`` how documents and diffs are stored, ``health`` what a
source's stored state says about it, ``migrations/`` the Alembic history. Storage imports
nothing of lexwatch but ``monitor.types`` and ``monitor.errors``.
"""
