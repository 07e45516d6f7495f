"""The example site of ``lexwatch demo``: a fictional "Example AI Office" (package data only).

Each file is one version of one document; ``$name`` placeholders are dates that
``monitor.tools.demo`` fills in relative to today, so the demo's consultations stay current.
Nothing here is real: the office, the people, the consultations and the ids are made up.
"""
