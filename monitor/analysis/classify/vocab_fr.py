"""French: the same names as ``vocab_en``, as the Commission, EUR-Lex, the CNIL and the
French authorities write them. A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:consultations?(?: publique| ciblée)?s?|appels? (?:à|a) (?:contributions?"
    r"|commentaires|candidatures|manifestation d['’]intérêt|témoignages)"
    r"|appel à contributions|enquêtes?|questionnaires?|période de (?:commentaires"
    r"|contribution)|donnez votre avis)"
)
CONSULTS = (
    r"(?:consulte|lance une consultation|sollicite (?:\w+ ){0,2}(?:avis|commentaires"
    r"|contributions)|invite (?:\w+ ){0,4}(?:à (?:contribuer|commenter|participer|répondre"
    r"|soumettre|donner|partager|faire part))|(?:est|sont) ouverte?s? (?:aux|à la|jusqu)"
    r"|vous pouvez (?:désormais )?(?:contribuer|répondre|participer|soumettre)"
    r"|soumet (?:\S+ ){0,4}(?:à|en) consultation"
    r"|date limite (?:de dépôt |d['’]envoi )?(?:des |pour les )?(?:contributions"
    r"|commentaires|réponses)"
    r"|(?:mis|mise|soumis|soumise)e?s? (?:à|en) consultation"
    r"|appel à (?:candidatures|experts))"
)
CONSULTATION_TITLE_LEAD = r"(?:lance\w*|ouvr\w*|ouverture)"
OUTCOME = (
    r"(?:rapport|résultats?|synthèse|bilan|compte[ -]rendu|contributions reçues"
    r"|réponses reçues|enregistrements?|présentations)"
)
EXTENDED = (
    r"(?:prolongée?s?|prolongation|reportée?s?|repoussée?s?|différée?s?"
    r"|nouvelle date limite|rouverte?s?|décalée?s?)"
)
MOVED = (
    r"(?:avancée?s?|anticipée?s?|modifiée?s?|se termine désormais|nouvelle date"
    r"|date de clôture (?:est|a été) (?:modifiée|changée))"
)
EARLIER = r"(?:avancée?s?|anticipée?s?)"
INSTEAD = r"(?:au lieu du?|plutôt que|initialement|précédemment|remplaçant)"
FROM = r"(?:du|de)"
ROW_FROM = r"(?:à partir du|à compter du|dès le|du|le|jusqu['’]au)"
DATES = r"(?:dates|échéances|dates d['’]application)"
TO = r"(?:au|à|jusqu['’]au|jusqu['’]à)"
SHIFT_BY = r"(?:de|d['’])"
NUMBER_WORDS = (
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("six", 6),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("dix", 10),
    ("onze", 11),
    ("douze", 12),
    ("quinze", 15),
    ("seize", 16),
    ("dix-huit", 18),
    ("vingt", 20),
    ("vingt-quatre", 24),
    ("trente", 30),
)
UNITS = (
    ("jours?", "day"),
    ("semaines?", "week"),
    ("mois", "month"),
    ("ans?", "year"),
    ("années?", "year"),
)
# What a consultation collects: "feedback ... until 23 January" opens one.
FEEDBACK = r"(?:commentaires|contributions|observations|réponses|avis)"
# "No call for input is open at the moment": a negation opens nothing.
NEGATION = r"(?:aucune?|pas d[e'’]|plus d[e'’])"
CLOSED = (
    r"(?:(?:est|sont) (?:désormais |maintenant )?(?:close|clos|closes|clôturée?s?|terminée?s?"
    r"|fermée?s?)|a pris fin|s['’]est (?:achevée?|terminée?|déroulée?) (?:du|entre)"
    r"|n['’]est plus (?:ouverte?|possible)|s['’]est clôturée?"
    r"|s['’]est conclue?"
    r"|(?:consultation|appel|période) (?:s['’]est )?(?:terminée?|achevée?|close))"
)
OPENED = (
    r"(?:lance|lancée?s?|ouvre|ouverte?s?|est (?:désormais |maintenant )?ouverte?"
    rf"|{CONSULTS})"
)
STATUS_OPEN = r"(?:ouverte?|en cours|active)"
STATUS_CLOSED = r"(?:close|clos|clôturée?|terminée?|fermée?|achevée?)"
STATUS_UPCOMING = r"(?:à venir|prochainement|pas encore ouverte?)"
STATUS_LABEL = r"(?:statut|état|situation)"
PUBLICATION_NOUN = (
    r"(?:rapports?|lignes directrices|orientations|guides?|FAQ|foire aux questions"
    r"|questions[- ]réponses|codes? de (?:bonnes pratiques|conduite)|projets?|avis"
    r"|déclarations?|études?|recommandations?|normes?|fiches?|brochures?|boîtes à outils"
    r"|méthodologie|synthèses?|analyses?|livres? blancs?|feuilles? de route|évaluations?"
    r"|notes? explicatives?|documents?|publications?|communications?|stratégie"
    r"|plan d['’]action|décisions?|référentiels?)"
)
DOCUMENT_LEAD = (
    r"(?:(?:le |la )?(?:premier|première|deuxième|second|seconde|troisième|nouvelle"
    r"|nouveau|version) (?:projet|version|édition)|(?:projet de )?(?:lignes directrices"
    r"|orientations|guide|code de bonnes pratiques|rapport|avis|recommandations?"
    r"|FAQ|fiche)) (?:sur|du|de la|des|de|pour|relatifs?|relatives?|\d)"
)
NEW_DOCUMENT = (
    r"(?:nouvelles?|nouveaux?|nouvel|premiers?|premières?|deuxièmes?|secondes?|dernières?"
    r"|mises? à jour|révisée?s?|définitives?)"
)
PUBLISH_VERB = (
    r"(?:a publié|publie|ont publié|présente|a présenté|adopte|a adopté|dévoile|a dévoilé"
    r"|lance|a lancé|rend public|a rendu public|met en ligne|a mis en ligne"
    r"|soumet"
    r"|publient"
    r"|présentent)"
)
AVAILABLE = (
    r"(?:(?:est|sont|a été|ont été)\s+(?:désormais\s+|maintenant\s+)?(?:publiée?s?"
    r"|disponibles?|adoptée?s?|en ligne|mise?s? en ligne))"
)
NOW_AVAILABLE = r"(?:désormais disponible|maintenant disponible|peut être téléchargée?)"
FUTURE = (
    r"(?:sera|seront|serait|devrait|devraient|prochainement|à venir|prévue?s?"
    r"|envisagée?s?|compte|a l['’]intention de|bientôt)"
)
HYPOTHETICAL = (
    r"(?:pourrait|pourraient|peut|peuvent|éventuellement|si|propos\w*|envisag\w*"
    r"|demand\w*)"
)
EVENT = (
    r"(?:webinaires?|séances? d['’]information|journées? d['’]information|ateliers?"
    r"|conférences?|séminaires?|auditions?|séances? plénières?|plénières?|tables? rondes?"
    r"|sommets?|colloques?|rencontres?|réunions? du comité"
    r"|débats?"
    r"|présentations?"
    r"|votera"
    r"|vote en (?:plénière|commission))"
)
EVENT_WHEN = r"(?:aura lieu|se tiendra|se déroulera|inscri\w*)"
EVENT_PAST = r"(?:a eu lieu|s['’]est tenue?|s['’]est déroulée?|enregistrement|replay|adoptée?s?)"
ACT_KIND = r"(?:Règlement|Directive|Décision)(?: délégué(?:e)?| d['’]exécution)?"
NOT_ACT = r"(?:proposition|projet|feuille de route|position|mandat|orientation générale)"
ACT_PUBLISHED = (
    r"(?:publiée? au Journal officiel|JO L\b|entre(?:ra)? en vigueur|entrée en vigueur"
    r"|(?:a été|ont été|est) adoptée?s?|signée?s?)"
)
ACT_EVENT = r"(?:publiée? au Journal officiel|acte final signé|signature de l['’]acte)"
IN_FORCE = r"(?:entre|est entrée?|entrera) en (?:vigueur|application)"
ADOPTED_ACT = (
    r"(?:(?:adopte|a adopté|adoptée?|signe|a signé|feu vert)\b.{0,60}\b(?:règlement"
    r"|directive|décision|acte délégué|acte d['’]exécution|loi|règles|législation))"
)
NOT_ADOPTION = (
    r"(?:position|mandat|orientation générale|proposition|négociation|avis|déclaration"
    r"|lignes directrices|rapport|projet|recommandation"
    r"|provisoire"
    r"|accord)"
)
CONSOLIDATED = r"(?:(?:texte|version) consolidée?)"
REPORTS = r"(?:adopte|publie|présente|dévoile|salue)"
CORRIGENDUM = r"(?:rectificatifs?|rectifié par|corrigée? par)"
CHROME = (
    r"(?:partager (?:cette|la) page|imprimer (?:cette|la) page|ce site utilise des cookies"
    r"|paramètres des cookies|accepter (?:tous )?les cookies|retour en haut|aller au contenu"
    r"|choisissez votre langue|suivez-nous|abonnez-vous à (?:notre|la) (?:lettre"
    r"|newsletter)|inscrivez-vous à (?:notre|la) (?:lettre|newsletter)|tous droits réservés"
    r"|mentions légales|politique de confidentialité|déclaration d['’]accessibilité"
    r"|plan du site|nous contacter|copier le lien"
    r"|(?:abonnez-vous|inscrivez-vous|recevez)\b.{0,60}\b(?:lettre d['’]information|newsletter)"
    r"|vous acceptez le dépôt de cookies"
    r"|cookies?\b.{0,160}\b(?:accepter|refuser|personnaliser|paramétrer)"
    r"|tout accepter"
    r"|tout refuser"
    r"|donnez votre avis sur (?:ce|le) (?:nouveau )?site"
    r"|votre avis sur (?:ce|le) (?:nouveau )?site"
    r"|cette page vous a-t-elle été utile"
    r"|partager la page"
    r"|menu principal)"
)
IMAGE = (
    r"(?:^(?:image|photo|illustration|visuel)\s*[:–-]|\bl['’](?:image|illustration)"
    r" (?:représente|montre)|\bcrédits? (?:photo|image)|\bimage d['’]illustration)"
)
STAMP = (
    r"(?:dernière mise à jour|mise à jour(?: le)?|mis à jour le|date de publication"
    r"|publié le)"
)
CLOSING_CUE = (
    r"(?:\bjusqu['’]\s?(?:au|à)\b|\bavant le\b|\bau plus tard\b|\bdate limite\b"
    r"|\béchéance\b|\bse termine\b|\bclôture\b|\bprolongée? au\b|\bd['’]ici (?:le|au)\b)"
)
DEADLINE_NOUN = r"(?:date limite|date de clôture|échéance|délai)"
APPLY_CUE = (
    r"(?:\bs['’]applique(?:nt|ra|ront)? (?:à partir du|à compter du|dès le|le)\b"
    r"|\best applicable\b|\bsont applicables\b|\bentrée en application\b|\bdate"
    r" d['’]application\b|\bapplicables? (?:à partir du|à compter du|dès le)\b"
    r"|\b(?:date de )?fin de validité\b)"
)
PLANNED_CUE = (
    r"(?:\bsera (?:publiée?|adoptée?|présentée?|disponible)\b|\bseront (?:publiée?s"
    r"|adoptée?s|présentée?s|disponibles)\b|\best prévue?\b|\bprévue? (?:pour|le)\b)"
)
PERIOD = r"(?:ouverte?|consultation|contributions?|appel|inscriptions?|questionnaire)"
FAQ_HINT = r"(?:foire aux questions|questions[- ]réponses|questions fréquentes)"
ELSEWHERE = (
    r"(?:contenus? (?:associés?|liés?)|actualités? (?:liées|associées)|voir aussi|à lire"
    r" aussi|dernières actualités|en savoir plus|suivez-nous|liens utiles"
    r"|restez informée?s?"
    r"|lettre d['’]information"
    r"|newsletter"
    r"|menu)"
)
NORMATIVE = (
    "doit",
    "doivent",
    "peut",
    "peuvent",
    "interdit",
    "interdite",
    "obligatoire",
    "facultatif",
    "ne",
    "pas",
    "jamais",
    "exempté",
)
FUNCTION_WORDS = (
    "le la les l de des du d et ou en un une au aux à a par pour sur dans avec sans entre"
    " ce cette ces qui que dont est sont été être il elle ils elles se sa son ses leur leurs"
)
