"""Danish: the patterns of ``vocab_en`` that Danish publications need most (consultations,
their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = r"(?:høring\w*|offentlig høring)"
CONSULTS = r"(?:sendt i høring|sendes i høring|høringsfrist)"
FEEDBACK = r"(?:høringssvar|bemærkninger)"
CLOSED = r"(?:høringen er afsluttet|er afsluttet)"
OPENED = r"(?:sendt i høring|åben for høring)"
EXTENDED = r"(?:forlænget|udskudt)"
PUBLICATION_NOUN = r"(?:udkast|vejledning|rapport|retningslinjer|lovforslag)"
PUBLISH_VERB = r"(?:offentliggør|har offentliggjort|udgiver)"
CLOSING_CUE = r"(?:\bsenest\b|\bfrist\b|\bhøringsperiode\b)"
DEADLINE_NOUN = r"(?:høringsfrist|frist)"
