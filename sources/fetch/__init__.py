"""Fetching: the one way lexwatch talks to the publishers' servers.

``fetcher`` is the client (httpx on aiohttp; conditional GET; size, time and redirect
limits; retries with ``retry_after``); ``politeness`` spaces requests per host, ``robots``
honours robots.txt, ``ssrf`` refuses private addresses, ``network_errors`` words failures,
``redact`` keeps credentials out of logs, ``replay`` serves recorded answers on loopback,
``render`` runs a page in headless Chromium (``render = true``) with every request it makes
sent through the fetcher.
Nothing is imported here: `lexwatch status` needs ``redact`` without loading httpx.
"""
