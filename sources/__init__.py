"""The scrapers: getting documents from the publishers and reading them into items.

``fetch/`` is the HTTP side (the client with its politeness, robots.txt, SSRF guard and
retries; replay of recordings); ``parsers/`` turns bytes into a ``Document`` (pure: bytes
in, items out); ``catalog`` is the built-in list of EU sources, ``normalise`` the text
clean-up every parser shares, ``demo/`` the example site of `lexwatch demo`.
"""
