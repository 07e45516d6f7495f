"""Polish: the patterns of ``vocab_en`` that Polish publications need most (consultations,
their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = r"(?:konsultacj\w*|ankiet\w*|kwestionariusz\w*)"
CONSULTS = r"(?:trafił\w* do konsultacji|uwagi (?:można|należy) (?:zgłaszać|przesyłać))"
FEEDBACK = r"(?:uwagi|opinie|stanowiska)"
CLOSED = r"(?:zakończył\w*|(?:są|jest) zamknięt\w*)"
OPENED = r"(?:rozpoczęł\w*|otwart\w*|uruchomi\w*)"
EXTENDED = r"(?:przedłużon\w*|przesunięt\w*)"
PUBLICATION_NOUN = r"(?:projekt\w*|wytyczn\w*|raport\w*|opini\w*|rekomendacj\w*)"
PUBLISH_VERB = r"(?:opublikował\w*|przedstawił\w*)"
FUTURE = r"(?:będzie|będą|wkrótce)"
CLOSING_CUE = r"(?:\bdo dnia\b|\btermin\b)"
DEADLINE_NOUN = r"(?:termin)"
CORRIGENDUM = r"(?:sprostowanie)"
