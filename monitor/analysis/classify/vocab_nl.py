"""Dutch: the patterns of ``vocab_en`` that Dutch publications need most (consultations,
their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:consultaties?|internetconsultatie|raadpleging|oproep tot (?:input|inbreng|reacties)"
    r"|oproepen tot input|vragenlijst|enquête)"
)
CONSULTS = r"(?:(?:kunt|kan) (?:u |je )?(?:tot|uiterlijk) .{0,40}reageren|input (?:geven|leveren))"
FEEDBACK = r"(?:reacties|inbreng|input|opmerkingen)"
CLOSED = r"(?:(?:is|zijn) (?:nu )?gesloten|(?:is|zijn) afgelopen|niet meer mogelijk)"
OPENED = r"(?:(?:is|zijn) (?:nu )?geopend|(?:staat|staan) open|start|gestart)"
EXTENDED = r"(?:verlengd|verlenging|uitgesteld)"
STATUS_OPEN = r"(?:open|lopend)"
STATUS_CLOSED = r"(?:gesloten|afgesloten|afgerond)"
STATUS_LABEL = r"(?:status)"
PUBLICATION_NOUN = (
    r"(?:richtsnoeren|richtlijnen|rapport(?:en)?|verslag(?:en)?|advie(?:s|zen)"
    r"|handreiking(?:en)?|leidraad|ontwerp(?:en)?|gedragscode|praktijkcode|sjablo(?:on|nen)"
    r"|veelgestelde vragen|verklaring(?:en)?|studies?|aanbeveling(?:en)?|factsheets?"
    r"|brochures?|handleiding(?:en)?|methodologie|samenvatting(?:en)?|analyses?|witboek"
    r"|routekaart|evaluaties?|toelichting|documenten|document|publicaties?"
    r"|mededeling(?:en)?|strategie|actieplan|checklists?)"
)
PUBLISH_VERB = (
    r"(?:publiceert|publiceren|heeft gepubliceerd|hebben gepubliceerd|presenteert"
    r"|brengt uit|heeft uitgebracht|lanceert|stelt beschikbaar)"
)
NEW_DOCUMENT = r"(?:nieuwe?|eerste|tweede|derde|geactualiseerde|herziene|bijgewerkte|definitieve)"
AVAILABLE = r"(?:(?:is|zijn)\s+(?:nu\s+|vandaag\s+)?(?:gepubliceerd|beschikbaar|vastgesteld))"
NOW_AVAILABLE = r"(?:nu beschikbaar|te downloaden)"
FUTURE = r"(?:zal|zullen|binnenkort|gepland)"
EVENT = r"(?:webinar|bijeenkomst|congres|workshop|conferentie|seminar)"
CLOSING_CUE = r"(?:\btot en met\b|\buiterlijk\b|\bdeadline\b|\bsluit\b)"
DEADLINE_NOUN = r"(?:deadline|sluitingsdatum)"
CORRIGENDUM = r"(?:rectificatie)"
CHROME = r"(?:deel deze pagina|delen|afdrukken|deze website gebruikt cookies|nieuwsbrief)"
STAMP = r"(?:laatst gewijzigd|bijgewerkt op|publicatiedatum)"
NEGATION = r"(?:geen|niet)"
