"""Notifiers: rendering alerts and digests, and delivering them from the outbox.

``render`` (pure) turns an Alert or a Digest into text and HTML; ``slack``, ``email``,
``webhook`` and ``apprise_channel`` each deliver to one kind of channel; ``senders`` builds
one Sender per subscription; ``outbox.Dispatcher`` sends what is due, with retries, leases
and digests. Notifiers read and write only through ``storage.store.Store``.
"""
