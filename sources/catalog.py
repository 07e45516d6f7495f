"""The built-in catalog of EU sources: data, checked at start-up.

Keys are stable: user config overrides a built-in source by using its key.
"""

from __future__ import annotations

from monitor.types import Source, SourceOptions

HOUR = 3600
DAY = 24 * HOUR

CATALOG: tuple[Source, ...] = (
    Source(
        key="eurlex-ai-act",
        title="EUR-Lex: AI Act (Regulation (EU) 2024/1689), Official Journal text",
        url="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689",
        parser="eurlex_act",
        interval=DAY,
        tags=("ai-act", "legal-act"),
    ),
    Source(
        key="ds-ai-office",
        title="European AI Office (digital-strategy.ec.europa.eu)",
        url="https://digital-strategy.ec.europa.eu/en/policies/ai-office",
        parser="html",
        interval=6 * HOUR,
        tags=("ai-act", "ai-office"),
        options=SourceOptions(keep=("main",)),
    ),
    Source(
        key="ds-ai-act-policy",
        title="AI Act policy page (digital-strategy.ec.europa.eu)",
        url="https://digital-strategy.ec.europa.eu/en/policies/regulatory-framework-ai",
        parser="html",
        interval=6 * HOUR,
        tags=("ai-act",),
        options=SourceOptions(keep=("main",)),
    ),
    Source(
        key="ds-rss",
        title="Digital-strategy news and library (RSS)",
        url="https://digital-strategy.ec.europa.eu/en/rss.xml",
        parser="feed",
        interval=HOUR,
        tags=("ai-act", "news"),
    ),
    Source(
        key="edpb-news",
        title="EDPB news (RSS)",
        url="https://www.edpb.europa.eu/feed/news_en",
        parser="feed",
        interval=6 * HOUR,
        tags=("data-protection", "news"),
    ),
    Source(
        key="edpb-publications",
        title="EDPB publications (RSS)",
        url="https://www.edpb.europa.eu/feed/publications_en",
        parser="feed",
        interval=6 * HOUR,
        tags=("data-protection", "guidance"),
    ),
)


def builtin_sources() -> dict[str, Source]:
    """The catalog by key; a duplicate key is a programming error caught by the tests."""
    return {source.key: source for source in CATALOG}
