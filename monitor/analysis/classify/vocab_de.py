"""German: the same names as ``vocab_en``, as the Commission, EUR-Lex and the German and
Austrian authorities write them. A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:konsultation(?:en)?|öffentliche konsultation|sondierung|aufforderung zur"
    r" (?:stellungnahme|einreichung|interessenbekundung)|befragung(?:en)?|umfrage"
    r"|fragebogen|stellungnahmeverfahren|anhörungsverfahren|rückmeldefrist"
    r"|ihre meinung zählt|beteiligungsverfahren"
    r"|verbändeanhörung"
    r"|länder- und verbändeanhörung"
    r"|konsultationsverfahren)"
)
CONSULTS = (
    r"(?:konsultiert|bittet (?:\w+ ){0,3}um (?:stellungnahmen?|rückmeldungen?|beiträge"
    r"|kommentare|feedback)|lädt (?:\w+ ){0,4}(?:ein|dazu ein)|(?:können|kann) (?:ab sofort"
    r" |jetzt |nun )?(?:stellung nehmen|beiträge einreichen|rückmeldungen? geben"
    r"|kommentieren)|startet (?:eine )?(?:öffentliche )?konsultation"
    r"|frist für (?:stellungnahmen|kommentare|beiträge|rückmeldungen)"
    r"|stellungnahmen (?:können|sind) (?:\S+ ){0,4}bis"
    r"|(?:in die|zur) (?:öffentliche )?konsultation gegeben"
    r"|sucht (?:\S+ ){0,2}(?:expertinnen|experten|sachverständige))"
)
CONSULTATION_TITLE_LEAD = r"(?:start\w*|eröffn\w*|beginn\w*|lanciert)"
OUTCOME = (
    r"(?:bericht|ergebnisse?|zusammenfassung|auswertung|eingegangene (?:beiträge"
    r"|stellungnahmen)|aufzeichnung(?:en)?|präsentationen|protokoll)"
)
EXTENDED = (
    r"(?:verlängert|verlängerung|verschoben|verschiebung|aufgeschoben|verzögert"
    r"|neue frist|wiedereröffnet|nach hinten verlegt)"
)
MOVED = (
    r"(?:vorgezogen|vorverlegt|geändert auf|endet nun|endet jetzt|neuer (?:termin|stichtag)"
    r"|neues enddatum)"
)
EARLIER = r"(?:vorgezogen|vorverlegt)"
INSTEAD = r"(?:statt|anstelle|anstatt|ursprünglich|bisher|zuvor)"
FROM = r"(?:vom|von)"
ROW_FROM = r"(?:ab dem|ab|seit dem|bis zum|bis)"
DATES = r"(?:daten|termine|fristen|geltungsbeginne|stichtage)"
TO = r"(?:auf den|auf|bis zum|bis zur|bis)"
SHIFT_BY = r"(?:um)"
NUMBER_WORDS = (
    ("einen", 1),
    ("ein", 1),
    ("eine", 1),
    ("zwei", 2),
    ("drei", 3),
    ("vier", 4),
    ("fünf", 5),
    ("sechs", 6),
    ("sieben", 7),
    ("acht", 8),
    ("neun", 9),
    ("zehn", 10),
    ("elf", 11),
    ("zwölf", 12),
    ("fünfzehn", 15),
    ("sechzehn", 16),
    ("achtzehn", 18),
    ("zwanzig", 20),
    ("vierundzwanzig", 24),
    ("dreißig", 30),
)
UNITS = (("tage?n?", "day"), ("wochen?", "week"), ("monate?n?", "month"), ("jahre?n?", "year"))
# What a consultation collects: "feedback ... until 23 January" opens one.
FEEDBACK = r"(?:stellungnahmen|rückmeldungen|beiträge|kommentare|hinweise|eingaben)"
# "No call for input is open at the moment": a negation opens nothing.
NEGATION = r"(?:kein|keine|keinen|nicht)\b(?! später)"
CLOSED = (
    r"(?:(?:ist|wurde|sind|wurden) (?:nun |jetzt |inzwischen |bereits )?(?:geschlossen"
    r"|beendet|abgeschlossen)|lief (?:vom|von|bis)|ist abgelaufen|nicht mehr möglich"
    r"|(?:ist|sind) nicht mehr (?:offen|geöffnet)"
    r"|(?:konsultation|befragung|frist) (?:ist |wurde )?(?:beendet|abgelaufen|abgeschlossen)"
    r"|endete am)"
)
OPENED = (
    r"(?:startet|gestartet|eröffnet|beginnt|(?:ist|sind) (?:ab sofort |jetzt |nun )?(?:offen"
    rf"|geöffnet)|{CONSULTS})"
)
STATUS_OPEN = r"(?:offen|geöffnet|laufend|aktiv)"
STATUS_CLOSED = r"(?:geschlossen|beendet|abgeschlossen|abgelaufen)"
STATUS_UPCOMING = r"(?:geplant|demnächst|in vorbereitung|noch nicht geöffnet)"
STATUS_LABEL = r"(?:status|stand|zustand)"
PUBLICATION_NOUN = (
    r"(?:berichte?|leitlinien|leitfaden|leitfäden|orientierungshilfen?|vorlagen?|muster"
    r"|FAQs?|häufige fragen|fragen und antworten|verhaltenskodex|praxisleitfaden|entwürfe?"
    r"|entwurf|stellungnahmen?|erklärungen?|studien?|empfehlungen?|normen?|standards?"
    r"|factsheets?|broschüren?|handbuch|handreichungen?|methodik|zusammenfassungen?"
    r"|analysen?|weißbuch|fahrplan|bewertungen?|erläuterungen|dokumente?|veröffentlichungen?"
    r"|mitteilungen?|strategie|aktionsplan|beschlüsse?|positionspapier|hinweise)"
)
DOCUMENT_LEAD = (
    r"(?:(?:der |die |das )?(?:erste|zweite|dritte|neue|aktualisierte|überarbeitete)r?"
    r" (?:entwurf|fassung|version|ausgabe)|(?:entwurf (?:der|des|eines|einer) )?(?:leitlinien"
    r"|leitfaden|vorlage|verhaltenskodex|bericht|stellungnahme|empfehlungen?|orientierungshilfe"
    r"|handreichung)) (?:zu|zum|zur|über|für|des|der|\d)"
)
NEW_DOCUMENT = r"(?:neue[nrs]?|erste[nrs]?|zweite[nrs]?|aktualisierte[nrs]?|überarbeitete[nrs]?)"
PUBLISH_VERB = (
    r"(?:hat (?:\w+ ){0,6}veröffentlicht|veröffentlicht|veröffentlichte|legt (?:\w+ ){0,4}vor"
    r"|hat (?:\w+ ){0,6}vorgelegt|präsentiert|stellt (?:\w+ ){0,4}vor|verabschiedet"
    r"|hat (?:\w+ ){0,6}angenommen|gibt (?:\w+ ){0,4}heraus"
    r"|übergibt"
    r"|(?:hat|haben) (?:\w+ ){0,6}übergeben"
    r"|überreicht)"
)
# German puts the document between the auxiliary and the participle: "hat eine
# Orientierungshilfe zu KI und Datenschutz veröffentlicht".
PUBLISHED_CLAUSE = (
    r"(?:hat|haben)\s+(?:\S+\s+){0,6}?\w*(?:bericht|leitlinien|leitfaden|orientierungshilfe"
    r"|handreichung|stellungnahme|empfehlungen|hinweise|vorlage|entwurf|fragen und antworten)"
    r"\b(?:\s+\S+){0,8}?\s+(?:veröffentlicht|vorgelegt|herausgegeben|übergeben|vorgestellt)"
)
AVAILABLE = (
    r"(?:(?:ist|sind|wurde|wurden)\s+(?:nun\s+|jetzt\s+|ab sofort\s+)?(?:veröffentlicht"
    r"|verfügbar|abrufbar|angenommen|online))"
)
NOW_AVAILABLE = r"(?:(?:ab sofort|jetzt|nun) (?:verfügbar|abrufbar|online)|zum download)"
FUTURE = (
    r"(?:wird|werden|würde|soll|sollen|sollte|demnächst|geplant|voraussichtlich|in kürze"
    r"|beabsichtigt|künftig)"
)
HYPOTHETICAL = r"(?:könnte|könnten|kann|können|möglicherweise|falls|wenn|vorschl\w*|erwäg\w*)"
EVENT = (
    r"(?:webinare?|webinar|informationsveranstaltung(?:en)?|infoveranstaltung(?:en)?"
    r"|workshops?|konferenz(?:en)?|seminare?|anhörung(?:en)?|plenartagung(?:en)?"
    r"|plenarsitzung(?:en)?|veranstaltung(?:en)?|fachtagung|tagung(?:en)?|runder tisch"
    r"|gipfel(?:treffen)?|dialogforum|sitzung des (?:ausschusses|gremiums)"
    r"|vortr(?:ag|äge)"
    r"|podiumsdiskussion(?:en)?"
    r"|fachgespräch(?:e)?"
    r"|abstimmung(?:en)?)"
)
EVENT_WHEN = r"(?:findet (?:\w+ ){0,4}statt|wird (?:\w+ ){0,3}stattfinden|anmeld\w*)"
EVENT_PAST = r"(?:fand (?:\w+ ){0,4}statt|hat stattgefunden|aufzeichnung|angenommen|verabschiedet)"
ACT_KIND = r"(?:Delegierte |Durchführungs)?(?:Verordnung|Richtlinie|Beschluss|Entscheidung)"
NOT_ACT = r"(?:vorschlag|entwurf|fahrplan|standpunkt|mandat|allgemeine ausrichtung)"
ACT_PUBLISHED = (
    r"(?:im Amtsblatt (?:der Europäischen Union )?veröffentlicht|ABl\. L\b|tr(?:itt|at)"
    r" in kraft|inkrafttreten|(?:wurde|ist|wurden) (?:angenommen|verabschiedet)"
    r"|unterzeichnet)"
)
ACT_EVENT = (
    r"(?:im Amtsblatt (?:der Europäischen Union )?veröffentlicht"
    r"|unterzeichnung des rechtsakts)"
)
IN_FORCE = r"(?:tritt|trat|treten) (?:\w+ ){0,4}in kraft"
ADOPTED_ACT = (
    r"(?:(?:verabschiedet|nimmt an|angenommen|unterzeichnet|grünes licht|endgültig"
    r" gebilligt)\b.{0,60}\b(?:verordnung|richtlinie|beschluss|delegierten rechtsakt"
    r"|durchführungsrechtsakt|gesetz|regeln))"
)
NOT_ADOPTION = (
    r"(?:standpunkt|mandat|allgemeine ausrichtung|vorschlag|verhandlungs\w*|stellungnahme"
    r"|erklärung|leitlinien|bericht|entwurf|empfehlung"
    r"|vorläufig\w*"
    r"|einigung)"
)
CONSOLIDATED = r"(?:konsolidierte (?:fassung|text))"
REPORTS = (
    r"(?:verabschiedet|veröffentlicht|präsentiert|stellt vor|begrüßt"
    r"|übergibt"
    r"|legt vor)"
)
CORRIGENDUM = r"(?:berichtigung(?:en)?|berichtigt durch)"
CHROME = (
    r"(?:seite teilen|diese seite (?:teilen|drucken)|seite drucken|diese website verwendet"
    r" cookies|cookie-einstellungen|alle cookies akzeptieren|nach oben|zum inhalt springen"
    r"|sprache wählen|folgen sie uns|newsletter abonnieren|zum newsletter anmelden"
    r"|alle rechte vorbehalten|impressum|datenschutzerklärung|datenschutzhinweis"
    r"|barrierefreiheitserklärung|erklärung zur barrierefreiheit|sitemap|kontakt"
    r"|link kopieren"
    r"|newsletter\b.{0,60}\b(?:abonnieren|bestellen|anmelden)"
    r"|cookies?\b.{0,160}\b(?:akzeptieren|ablehnen|zustimmen|einstellungen)"
    r"|alle akzeptieren"
    r"|alle ablehnen"
    r"|war diese seite hilfreich"
    r"|navigation und service"
    r"|hauptnavigation"
    r"|servicenavigation"
    r"|hauptmenü)"
)
IMAGE = (
    r"(?:^(?:bild|foto|abbildung|grafik|illustration)\s*[:–-]|\bdas (?:bild|foto) zeigt"
    r"|\b(?:bild|foto)(?:quelle|nachweis)\b)"
)
STAMP = (
    r"(?:zuletzt (?:aktualisiert|geändert)|letzte aktualisierung|stand:|aktualisiert am"
    r"|veröffentlicht am|erstellt am)"
)
CLOSING_CUE = (
    r"(?:\bbis\b|\bspätestens\b|\bfrist\b|\bbis zum\b|\bendet\b|\bläuft (?:\w+ )?bis\b"
    r"|\beinsendeschluss\b|\bstichtag\b|\babgabefrist\b)"
)
DEADLINE_NOUN = r"(?:frist|einsendeschluss|stichtag|abgabefrist|rückmeldefrist)"
APPLY_CUE = (
    r"(?:\bgilt (?:ab|ab dem|seit)\b|\bgelten (?:ab|ab dem)\b|\bist ab\b|\banzuwenden ab\b"
    r"|\bgilt(?: \w+){0,3} ab\b|\banwendbar ab\b|\bgeltungsbeginn\b|\banwendung ab\b"
    r"|\b(?:datum des )?gültigkeitsendes?\b)"
)
PLANNED_CUE = (
    r"(?:\bwird (?:voraussichtlich )?(?:veröffentlicht|angenommen|vorgelegt|verfügbar)\b"
    r"|\bist (?:geplant|vorgesehen)\b|\bgeplant für\b|\bvorgesehen für\b)"
)
PERIOD = r"(?:offen|konsultation|stellungnahmen?|beiträge|anmeldung|befragung|frist)"
FAQ_HINT = r"(?:häufige fragen|häufig gestellte fragen|fragen und antworten)"
ELSEWHERE = (
    r"(?:verwandte (?:inhalte|themen|artikel)|siehe auch|weitere (?:nachrichten|meldungen"
    r"|informationen)|das könnte sie auch interessieren|mehr erfahren|folgen sie uns"
    r"|nützliche links"
    r"|navigation und service"
    r"|newsletter"
    r"|bleiben sie informiert"
    r"|menü)"
)
NORMATIVE = (
    "muss",
    "müssen",
    "darf",
    "dürfen",
    "kann",
    "können",
    "soll",
    "sollen",
    "nicht",
    "kein",
    "keine",
    "verboten",
    "verpflichtend",
    "freiwillig",
    "ausgenommen",
)
FUNCTION_WORDS = (
    "der die das den dem des ein eine einer eines einem und oder von zu zum zur im in mit"
    " für auf an am bei aus nach über unter ist sind wird werden wurde wurden es sie er"
)
