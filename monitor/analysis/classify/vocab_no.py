"""Norwegian (bokmål): the patterns of ``vocab_en`` that Norwegian publications need most
(consultations, their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = r"(?:høring\w*|offentlig høring)"
CONSULTS = r"(?:sender på høring|sendt på høring|høringsfrist)"
FEEDBACK = r"(?:høringssvar|innspill|merknader)"
CLOSED = r"(?:høringen er avsluttet|er avsluttet)"
OPENED = r"(?:sender på høring|sendt på høring)"
EXTENDED = r"(?:forlenget|utsatt)"
PUBLICATION_NOUN = r"(?:utkast|veileder|rapport|retningslinjer|lovforslag|forslag)"
PUBLISH_VERB = r"(?:publiserer|har publisert|legger fram)"
CLOSING_CUE = r"(?:\bsenest\b|\bfrist\b)"
DEADLINE_NOUN = r"(?:høringsfrist|frist)"
