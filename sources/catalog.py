"""The built-in catalog of EU sources: data, checked at start-up and by the tests.

Keys are stable: user config overrides a built-in source by using its key. URLs come from
../shared/reference/eu-sources.md; the README's source table says for each whether it was
seen in a stored copy of the real page, reported by others, or is unverified.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.types import DocumentFollowing, Source, SourceOptions

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

DS = "https://digital-strategy.ec.europa.eu/en"
HYS_API = "https://ec.europa.eu/info/law/better-regulation/brpapi"
OEIL = "https://oeil.europarl.europa.eu/oeil/en/procedure-file?reference="
# Feeds that carry everything a publisher says: keep the entries about AI regulation.
AI_KEYWORDS = (
    "artificial intelligence", "AI Act", "AI Office", "general-purpose AI", "GPAI",
    "code of practice", "AI Pact", "AI model", "AI system", "2024/1689", "Digital Omnibus",
)  # fmt: skip
MAIN = SourceOptions(keep=("main",))

CATALOG: tuple[Source, ...] = (
    # --- digital-strategy.ec.europa.eu: the AI Office and the Commission's AI pages
    Source(
        key="ds-rss",
        title="Digital strategy: news and library (RSS, AI items)",
        url=f"{DS}/rss.xml",
        parser="feed",
        interval=HOUR,
        tags=("ai-act", "ai-office", "news"),
        expected_change=2 * WEEK,
        options=SourceOptions(keywords=AI_KEYWORDS),
    ),
    Source(
        key="ds-ai-office",
        title="The European AI Office",
        url=f"{DS}/policies/ai-office",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act", "ai-office"),
        options=MAIN,
    ),
    Source(
        key="ds-ai-act-policy",
        title="AI Act: regulatory framework on AI",
        url=f"{DS}/policies/regulatory-framework-ai",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act",),
        options=MAIN,
    ),
    Source(
        key="ds-gpai-code",
        title="General-Purpose AI Code of Practice",
        url=f"{DS}/policies/contents-code-gpai",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act", "gpai", "code-of-practice"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=15),
    ),
    # --- Documents: pages whose PDF and Word files are watched too (follow_documents)
    Source(
        key="ds-gpai-code-signing",
        title="AI Office invites providers to sign the GPAI Code"
        " of Practice (signature form and GPAI-SR submission guide)",
        url=f"{DS}/library/ai-office-invites-providers-sign-gpai-code-practice",
        parser="ds_page",
        interval=12 * HOUR,
        tags=("ai-act", "gpai", "code-of-practice"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=5),
    ),
    Source(
        key="ds-gpai-code-drafts",
        title="General-Purpose AI Code of Practice: the drafts",
        url=f"{DS}/policies/ai-code-practice",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act", "gpai", "code-of-practice"),
        options=MAIN,
        documents=DocumentFollowing(
            max_documents=15, patterns=(r"draft|code of practice|chapter",)
        ),
    ),
    Source(
        key="ds-ai-content-code",
        title="Code of Practice on marking and labelling of AI-generated content",
        url=f"{DS}/policies/code-practice-ai-generated-content",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act", "transparency", "code-of-practice"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=10),
    ),
    Source(
        key="ds-high-risk-guidelines",
        title="Guidelines on the classification of high-risk AI systems",
        url=f"{DS}/policies/guidelines-ai-high-risk-systems",
        parser="ds_page",
        interval=12 * HOUR,
        tags=("ai-act", "high-risk", "guidance"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=10),
    ),
    Source(
        key="ds-ai-system-guidelines",
        title="Commission guidelines on the definition of an AI system",
        url=f"{DS}/library/commission-publishes-guidelines-ai-system-definition"
        "-facilitate-first-ai-acts-rules-application",
        parser="ds_page",
        interval=DAY,
        tags=("ai-act", "guidance"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=5),
    ),
    Source(
        key="ds-prohibited-practices-guidelines",
        title="Commission guidelines on prohibited AI practices",
        url=f"{DS}/library/commission-publishes-guidelines-prohibited"
        "-artificial-intelligence-ai-practices-defined-ai-act",
        parser="ds_page",
        interval=DAY,
        tags=("ai-act", "guidance"),
        options=MAIN,
        documents=DocumentFollowing(max_documents=5),
    ),
    Source(
        key="ds-gpai-code-faq",
        title="FAQ: signing the General-Purpose AI Code of Practice",
        url=f"{DS}/faqs/signing-general-purpose-ai-code-practice",
        parser="ds_page",
        interval=12 * HOUR,
        tags=("ai-act", "gpai", "code-of-practice", "guidance"),
        options=MAIN,
    ),
    Source(
        key="ds-ai-pact",
        title="The AI Pact",
        url=f"{DS}/policies/ai-pact",
        parser="ds_page",
        interval=12 * HOUR,
        tags=("ai-act", "ai-pact"),
        options=MAIN,
    ),
    Source(
        key="ds-consultations",
        title="Digital strategy: consultations",
        url=f"{DS}/consultations",
        parser="ds_page",
        interval=6 * HOUR,
        tags=("ai-act", "consultation"),
        options=MAIN,
    ),
    # --- Have Your Say: the Commission's consultation portal (JSON API)
    Source(
        key="hys-ai",
        title="Have Your Say: initiatives on artificial intelligence",
        url=f"{HYS_API}/searchInitiatives?text=artificial%20intelligence&page=0&size=50"
        "&language=EN&sort=LATEST",
        parser="hys_search",
        interval=6 * HOUR,
        tags=("ai-act", "consultation"),
        expected_change=8 * WEEK,
    ),
    Source(
        key="hys-digital-open",
        title="Have Your Say: open consultations on digital topics",
        url=f"{HYS_API}/searchInitiatives?text=digital&feedbackStatus=OPEN&page=0&size=50"
        "&language=EN&sort=LATEST",
        parser="hys_search",
        interval=6 * HOUR,
        tags=("digital", "consultation"),
    ),
    Source(
        key="hys-ai-act-initiative",
        title="Have Your Say: Artificial intelligence – ethical and legal requirements",
        url=f"{HYS_API}/groupInitiatives/12527",
        parser="hys_initiative",
        interval=DAY,
        tags=("ai-act", "consultation"),
    ),
    # --- EUR-Lex and the Official Journal
    Source(
        key="eurlex-ai-act",
        title="EUR-Lex: AI Act (Regulation (EU) 2024/1689), OJ text",
        url="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689",
        parser="eurlex_act",
        interval=DAY,
        tags=("ai-act", "legal-act"),
    ),
    Source(
        key="eurlex-ai-act-info",
        title="EUR-Lex: AI Act document information (corrigenda, amendments, consolidations)",
        url="https://eur-lex.europa.eu/legal-content/EN/ALL/?uri=CELEX:32024R1689",
        parser="eurlex_docinfo",
        interval=DAY,
        tags=("ai-act", "legal-act"),
    ),
    Source(
        key="eurlex-oj-l",
        title="Official Journal L series: acts on AI (RSS)",
        url="https://eur-lex.europa.eu/EN/display-feed.rss?rssId=222",
        parser="eurlex_feed",
        interval=6 * HOUR,
        tags=("ai-act", "legal-act"),
        options=SourceOptions(keywords=AI_KEYWORDS),
    ),
    # --- The legislators
    Source(
        key="oeil-2021-0106",
        title="Legislative Observatory: AI Act, 2021/0106(COD)",
        url=f"{OEIL}2021/0106(COD)",
        parser="oeil_procedure",
        interval=DAY,
        tags=("ai-act", "procedure"),
    ),
    Source(
        key="oeil-2025-0359",
        title="Legislative Observatory: Digital Omnibus on AI, 2025/0359(COD)",
        url=f"{OEIL}2025/0359(COD)",
        parser="oeil_procedure",
        interval=12 * HOUR,
        tags=("ai-act", "digital-omnibus", "procedure"),
        expected_change=8 * WEEK,
    ),
    Source(
        key="council-press",
        title="Council of the EU: press releases (RSS, AI items)",
        url="https://www.consilium.europa.eu/en/rss/pressreleases.ashx",
        parser="feed",
        interval=6 * HOUR,
        tags=("ai-act", "council", "news"),
        options=SourceOptions(keywords=AI_KEYWORDS),
    ),
    Source(
        key="presscorner",
        title="Commission press corner (RSS, AI items)",
        url="https://ec.europa.eu/commission/presscorner/api/rss?language=en",
        parser="feed",
        interval=3 * HOUR,
        tags=("ai-act", "commission", "news"),
        options=SourceOptions(keywords=AI_KEYWORDS),
    ),
    # --- Data protection, standards, implementation support
    Source(
        key="edpb-news",
        title="EDPB news (RSS)",
        url="https://www.edpb.europa.eu/feed/news_en",
        parser="feed",
        interval=6 * HOUR,
        tags=("data-protection", "news"),
        expected_change=4 * WEEK,
    ),
    Source(
        key="edpb-publications",
        title="EDPB publications (RSS)",
        url="https://www.edpb.europa.eu/feed/publications_en",
        parser="feed",
        interval=6 * HOUR,
        tags=("data-protection", "guidance"),
        expected_change=8 * WEEK,
    ),
    Source(
        key="cen-cenelec-jtc21",
        title="CEN-CENELEC: artificial intelligence (JTC 21)",
        url="https://www.cencenelec.eu/areas-of-work/cen-cenelec-topics/artificial-intelligence/",
        parser="html",
        interval=DAY,
        tags=("ai-act", "standards"),
    ),
    Source(
        key="ai-act-service-desk",
        title="AI Act Service Desk",
        url="https://ai-act-service-desk.ec.europa.eu/",
        parser="html",
        interval=12 * HOUR,
        tags=("ai-act", "guidance"),
    ),
    # --- Secondary: useful early warnings, never official
    Source(
        key="aiact-eu",
        title="artificialintelligenceact.eu (Future of Life Institute) RSS",
        url="https://artificialintelligenceact.eu/feed/",
        parser="feed",
        interval=6 * HOUR,
        tags=("ai-act", "secondary"),
        official=False,
    ),
)


def builtin_sources() -> dict[str, Source]:
    """The catalog by key; a duplicate key is a programming error caught by the tests.

    Every built-in URL is an English version: naming the language makes a redirect to another
    language version a failed check, not a page whose every sentence changed."""
    return {
        source.key: replace(source, options=replace(source.options, language="en"))
        for source in CATALOG
    }
