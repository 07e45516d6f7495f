"""Offline tools that start from the app: the demo, recording sources, the evaluation.

``demo`` runs three check cycles against an example site served on loopback; ``record``
writes what sources answer, for replay (``sources.fetch.replay``) without the network;
``evaluate`` and ``eval_report`` score the classifier against labelled before/after cases.
"""
