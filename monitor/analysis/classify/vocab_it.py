"""Italian: the patterns of ``vocab_en`` that Italian publications need most (consultations,
their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:consultazion[ei](?: pubblica| pubbliche)?|invito a presentare (?:contributi|osservazioni)"
    r"|indagine|questionario|manifestazione di interesse)"
)
CONSULTS = r"(?:è possibile inviare (?:contributi|commenti|osservazioni)|in consultazione)"
FEEDBACK = r"(?:contributi|commenti|osservazioni)"
CLOSED = (
    r"(?:(?:si è|è) (?:conclusa|chiusa|terminata)|non è più possibile"
    r"|consultazione (?:è )?(?:chiusa|conclusa))"
)
OPENED = r"(?:(?:è|sono) (?:ora )?apert[ao]|avvia\w*|lancia\w*)"
EXTENDED = r"(?:prorogat[ao]|proroga|rinviat[ao]|posticipat[ao])"
STATUS_OPEN = r"(?:aperta|in corso)"
STATUS_CLOSED = r"(?:chiusa|conclusa|terminata)"
STATUS_LABEL = r"(?:stato)"
PUBLICATION_NOUN = (
    r"(?:linee guida|orientamenti|guid[ae]|rapport[oi]|relazion[ei]|parer[ei]"
    r"|raccomandazion[ei]|document[oi]|bozz[ae]|schema di \w+"
    r"|codic[ei] di (?:condotta|buone pratiche)|domande frequenti|dichiarazion[ei]|studi"
    r"|studio|schede?|opuscol[oi]|manual[ei]|metodologia|sintesi|analisi|libro bianco"
    r"|valutazion[ei]|note? (?:esplicativ[ae]|tecnic[ae]|informativ[ae])|pubblicazion[ei]"
    r"|comunicazion[ei]|strategia|piano d['’]azione|strument[oi])"
)
# Not the bare "pubblica": it is also the adjective ("consultazione pubblica").
PUBLISH_VERB = (
    r"(?:ha pubblicato|hanno pubblicato|pubblicat[aoei]|ha adottato|ha presentato"
    r"|presenta|ha lanciato|lancia|mette a disposizione|rende disponibil[ei])"
)
NEW_DOCUMENT = (
    r"(?:nuov[aoei]|prim[aoei]|second[aoei]|terz[aoei]|aggiornat[aoei]|rivist[aoei]"
    r"|definitiv[aoei])"
)
AVAILABLE = (
    r"(?:(?:è|sono|è stat[ao]|sono stat[ei])\s+(?:ora\s+)?(?:pubblicat[aoei]"
    r"|disponibil[ei]|adottat[aoei]|online))"
)
NOW_AVAILABLE = r"(?:ora disponibil[ei]|scaricabil[ei]|può essere scaricat[ao])"
FUTURE = r"(?:sarà|saranno|prossimamente|previst[ao])"
EVENT = r"(?:webinar|seminario|convegno|workshop|conferenza|evento|tavola rotonda)"
CLOSING_CUE = r"(?:\bentro il\b|\bfino al\b|\bscadenza\b|\btermine\b)"
DEADLINE_NOUN = r"(?:scadenza|termine)"
CORRIGENDUM = r"(?:rettifica)"
CHROME = r"(?:condividi|stampa|iscriviti alla newsletter|questo sito utilizza cookie|accetta tutti)"
STAMP = r"(?:ultimo aggiornamento|aggiornato il|data di pubblicazione)"
NEGATION = r"(?:nessun[ao]?|non)"
