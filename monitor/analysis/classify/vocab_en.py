"""English: the words and phrases of EU publications that the rules read.

Each name is a regular-expression source (matched case-insensitively by
``vocabulary.Words``); ``vocab_fr`` and ``vocab_de`` define the same names, and ``vocabulary``
joins the three, so a rule reads any of the languages. A pattern says how EU institutions
write, never the wording of one page. A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:consultations?|call for (?:evidence|contributions?|input|comments|feedback|views"
    r"|expressions? of interest|applications)|calls for (?:evidence|contributions|input)"
    r"|surveys?|questionnaires?|feedback (?:period|round|phase)|have your say"
    r"|public comments?|stakeholder input"
    # Standards bodies (CEN, CENELEC, ETSI and national ones) put drafts to "public enquiry".
    r"|public enquir(?:y|ies))"
)
# A verb that opens one: "the Commission consults on", "seeks views", "invites comments".
CONSULTS = (
    r"(?:consults?|consulting|seeks? (?:[\w’']+ ){0,2}(?:views|feedback|input|comments"
    r"|contributions)|seeking (?:[\w’']+ ){0,2}(?:views|feedback|input|comments|contributions)"
    r"|invites? (?:[\w’']+ ){0,4}(?:to (?:comment|submit|share|provide|give|send|contribute"
    r"|respond|reply|participate)|comments|feedback|views|contributions)"
    r"|(?:asks?|calls?) (?:[\w’']+ ){0,3}for (?:views|feedback|input|comments|contributions)"
    r"|(?:is|are|now) open for (?:feedback|comments|contributions|input|submissions)"
    r"|(?:you|stakeholders|interested parties|the public) can (?:now )?(?:submit|share|give"
    r"|respond|provide|send|comment)"
    r"|deadline for (?:comments|feedback|contributions|submissions|responses|replies)"
    r"|(?:submit|send) (?:your )?(?:comments|feedback|contributions) (?:by|until|before)"
    r"|seeks? (?:[\w’']+ ){0,2}(?:experts|candidates|applications|members)"
    r"|call for (?:experts|applications|candidates))"
)
CONSULTATION_TITLE_LEAD = r"(?:launch\w*|open\w*|start\w*)"
OUTCOME = (
    r"(?:report|results?|outcomes?|summary|synopsis|analysis|analyses|feedback statement"
    r"|contributions received|responses received|recordings?|presentations|minutes)"
)
EXTENDED = (
    r"(?:extended|extension|prolonged|prolongation|postponed|postponement|deferred|delayed"
    r"|pushed back|new deadline|re-?opened|moved back)"
)
# Moved to an earlier date, or just moved: the dates decide which.
MOVED = (
    r"(?:brought forward|moved forward|moved (?:up|to)|rescheduled|changed to"
    r"|now (?:closes?|ends?|runs? until)|new (?:closing|end) date|closing date (?:is|has been)"
    r" (?:changed|amended|moved))"
)
EARLIER = r"(?:brought forward|moved forward|moved up)"
INSTEAD = r"(?:instead of|rather than|replacing|in place of|previously|originally|initially)"
FROM = r"(?:from)"
# What starts a row of a timeline before its date: "from 2 August 2026: ...".
ROW_FROM = r"(?:from|as of|as from|by|until)"
# Several dates named at once: each date that follows is its own move.
DATES = r"(?:dates|deadlines|application dates)"
TO = r"(?:to|until|till)"
SHIFT_BY = r"(?:by)"
NUMBER_WORDS = (
    ("a", 1),
    ("an", 1),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fifteen", 15),
    ("sixteen", 16),
    ("eighteen", 18),
    ("twenty", 20),
    ("twenty-four", 24),
    ("thirty", 30),
)
UNITS = (("days?", "day"), ("weeks?", "week"), ("months?", "month"), ("years?", "year"))
# What a consultation collects: "feedback ... until 23 January" opens one.
FEEDBACK = r"(?:feedback|comments|views|contributions|input|responses|submissions|replies)"
# "No call for input is open at the moment": a negation opens nothing.
NEGATION = r"(?:no|not|none)\b(?! later)"
CLOSED = (
    r"(?:(?:is|are|was|has been|have been)\s+(?:now\s+)?closed|now closed|closed on"
    r"|has (?:now )?(?:ended|closed)|is (?:now )?over|no longer (?:open|accept\w*|possible)"
    r"|(?:ran|was open|were open|took place|was held) (?:from|between)"
    r"|(?:submissions?|replies|responses) (?:are|is) (?:now )?closed"
    r"|closed for (?:feedback|comments|contributions|submissions)"
    r"|ended (?:on|in)"
    r"|(?:consultation|call|survey|feedback period|period) (?:ended|closed))"
)
OPENED = (
    r"(?:launch(?:es|ed)?|opens?|opened|(?:is|are) (?:now )?open|now open"
    rf"|{CONSULTS}|have your say)"
)
# Status labels a page or listing shows (a line "Status: Closed", a badge "Open").
STATUS_OPEN = r"(?:open|ongoing|active|open for (?:feedback|contributions|comments))"
STATUS_CLOSED = r"(?:closed|finished|ended|completed|expired)"
STATUS_UPCOMING = r"(?:upcoming|forthcoming|planned|not yet open|opening soon)"
STATUS_LABEL = r"(?:status|state|consultation status|feedback status)"
PUBLICATION_NOUN = (
    r"(?:reports?|guidelines?|guidance|templates?|FAQs?|Q&As?|questions and answers"
    r"|codes? of (?:practice|conduct)|drafts?|opinions?|statements?|study|studies"
    r"|recommendations?|standards?|factsheets?|brochures?|toolkits?|handbooks?|methodology"
    r"|summary|summaries|analysis|analyses|white papers?|roadmaps?|evaluations?"
    r"|explanatory (?:notes?|memorandum)|documents?|publications?|papers?|checklists?"
    r"|glossary|list of signatories|communications?|strategy|action plan|decisions?"
    r"|specifications?|questionnaire|annex(?:es)?"
    r"|(?:how-to )?sheets"
    r"|series of \w+"
    r"|tools?)"
)
# An entry that names a document: "Second draft of the Code ...", "Guidelines on ...".
DOCUMENT_LEAD = (
    r"(?:(?:the )?(?:first|second|third|fourth|final|new|updated|revised|\d+(?:st|nd|rd|th))"
    r" (?:draft|version|edition|iteration)|(?:(?:draft|joint|final|new) )?(?:guidelines|guidance"
    r"|template"
    r"|code of practice|report|opinion|statement|recommendations?|FAQ|Q&A|explanatory notes?"
    r"|factsheet|study|white paper|checklist)) (?:of|on|for|to|about|\d|\()"
)
# A title that names a new document anywhere: "...: the first questions and answers".
NEW_DOCUMENT = r"(?:new|first|second|third|updated|revised|final)"
PUBLISH_VERB = (
    r"(?:publish(?:es|ed)?|present(?:s|ed)|release[sd]|issue[sd]|adopt(?:s|ed)"
    r"|unveil(?:s|ed)|launch(?:es|ed)|put(?:s)? forward|made public"
    r"|hands? over"
    r"|submit(?:s|ted) to (?:parliament|the parliament|the council))"
)
AVAILABLE = (
    r"(?:(?:is|are|was|were|has been|have been)\s+(?:now\s+)?(?:published|released"
    r"|made available|adopted|issued|available|online))"
)
NOW_AVAILABLE = r"(?:now available|can (?:now )?be downloaded|available for download)"
FUTURE = (
    r"(?:will|shall|would|to be|in due course|forthcoming|upcoming|planned|expected to"
    r"|aims? to|intends? to|plans? to|soon|later this|is due to|are due to)"
)
HYPOTHETICAL = (
    r"(?:may|might|could|can|possibly|if|would|propos\w*|plan\w*|consider\w*|discuss\w*"
    r"|call\w* for|ask\w* for|request\w*)"
)
EVENT = (
    r"(?:webinars?|info(?:rmation)?[ -]sessions?|info[ -]days?|workshops?|conferences?"
    r"|seminars?|hearings?|plenary (?:sitting|session|meeting)s?(?: date)?|plenar(?:y|ies)"
    r"|stakeholder (?:event|meeting|dialogue)s?|round ?tables?|summits?|town halls?"
    r"|launch events?|livestreams?|kick-off|hackathons?|masterclass(?:es)?|vote in committee"
    r"|debate in plenary|board meetings?|high-level (?:meeting|event|dialogue)s?"
    r"|(?:to|will) vote"
    r"|(?:plenary|committee) votes?"
    r"|set to (?:adopt|vote)"
    r"|talks?"
    r"|lectures?"
    r"|panel discussions?)"
)
EVENT_WHEN = (
    r"(?:takes? place|will take place|(?:will be|is) held|join us|register\w*"
    r"|registration)"
)
EVENT_PAST = (
    r"(?:took place|was held|were held|held on|met on|recordings?|replay|adopted|approved"
    r"|voted|endorsed|concluded|entered into)"
)
ACT_KIND = (
    r"(?:(?:Commission|Council) )?(?:Delegated |Implementing )?(?:Regulation|Directive"
    r"|Decision)"
)
NOT_ACT = r"(?:proposal|draft|roadmap|inception|position|mandate|general approach)"
ACT_PUBLISHED = (
    r"(?:published in the Official Journal|OJ L\b|enter(?:s|ed)? into force|entry into"
    r" force|(?:has been|was|were|is) adopted|final act (?:signed|published)|signed)"
)
ACT_EVENT = (
    r"(?:final act (?:signed|published)|published in (?:the )?Official Journal"
    r"|act adopted by council|signature of (?:the )?(?:final )?act)"
)
IN_FORCE = r"(?:enters?|entered|comes?|came) into (?:force|application)"
ADOPTED_ACT = (
    r"(?:(?:adopts?|adopted|signs?|signed|green light)\b.{0,60}\b(?:regulation|directive"
    r"|decision|delegated act|implementing act|law)|(?:gives?|gave) (?:its )?(?:final )?"
    r"(?:green light|approval)\b.{0,60}\b(?:rules|act|law|legislation|regulation)"
    r"|approv(?:es|ed)\b.{0,40}\b(?:law|act|regulation|legislation))"
)
NOT_ADOPTION = (
    r"(?:position|mandate|general approach|proposal|negotiating|opinion|statement"
    r"|guidelines?|report|draft|recommendation"
    r"|provisional"
    r"|agreement"
    r"|deal)"
)
CONSOLIDATED = r"(?:consolidated (?:text|version))"
REPORTS = r"(?:adopts?|publish(?:es)?|presents?|releases?|issues?|unveils?|welcomes?)"
CORRIGENDUM = r"(?:corrigend(?:um|a)|corrected by|correction of)"
CHROME = (
    r"(?:search terms?|search tips?|use quotation marks|(?:we|this site|this website)"
    r" uses? cookies|cookie (?:settings|policy|consent|preferences|banner)|accept (?:all )?"
    r"cookies|print this page|export (?:to )?pdf|back to (?:the )?(?:\S+ ){0,3}homepage"
    r"|go to top|back to top|share this (?:page|article|news)|skip to (?:main )?content"
    r"|this (?:document|page) is an excerpt|javascript|select your language|follow us(?: on)?"
    r"|subscribe to (?:our|the) newsletter|sign up (?:for|to) (?:our |the )?(?:\S+ ){0,4}"
    r"newsletter|newsletter sign[ -]?up|all rights reserved|privacy (?:policy|statement"
    r"|notice)|legal notice|cookies policy|accessibility statement|contact us|site map"
    r"|sitemap|copy link|email this page|share on"
    r"|newsletters?\b.{0,60}\b(?:subscri\w*|sign up|receive|inbox|mailbox)"
    r"|(?:subscri\w*|sign up|receive)\b.{0,60}\bnewsletters?"
    r"|manage (?:my|your) subscriptions"
    r"|delivered to your (?:inbox|mailbox)"
    r"|in your (?:inbox|mailbox)"
    r"|stay up to date"
    r"|stay informed"
    r"|cookies?\b.{0,160}\b(?:accept|reject|refuse|consent|manage)"
    r"|(?:accept|reject) all"
    r"|(?:give|share) (?:us )?(?:your )?feedback on (?:this|our|the) (?:new )?(?:web)?site"
    r"|(?:was|is) this page (?:useful|helpful)"
    r"|rate this page"
    r"|main (?:menu|navigation)"
    r"|navigation)"
)
# A sentence that describes an image rather than saying anything.
IMAGE = (
    r"(?:^(?:image|photo|picture|illustration|graphic|infographic|figure|visual)\s*[:–-]"
    r"|\b(?:the|this) (?:image|photo|picture|illustration|graphic|visual) (?:depicts|shows"
    r"|features|represents|illustrates|contains)|\b(?:image|photo|picture) (?:credit|source)"
    r"|\billustration:|\bdecorative image\b"
    r"|©\s*[\w .,&'-]{2,50}$"
    r"|\bcopyright\s*:)"
)
STAMP = (
    r"(?:last (?:update[ds]?|modified|reviewed|changed)|page (?:last )?updated|updated(?: on)?"
    r"|date of last update|published on|publication date|first published)"
)
CLOSING_CUE = (
    r"(?:\buntil\b|\btill\b|\bdeadline\b|\bclos(?:es|ing|e)\b|\bno later than\b|\bby\b"
    r"|\bbefore\b|\bextended to\b|\bup to\b|\bends?\b|\bdue\b)"
)
# A noun that names the deadline itself: it may stand far from its date in a sentence.
DEADLINE_NOUN = r"(?:deadline|closing date|cut-off date|end date|submission date)"
APPLY_CUE = (
    r"(?:\bappl(?:y|ies|ied|icable)\b(?: \w+){0,3} (?:from|as of|as from|on)\b|\bshall apply"
    r"\b|\b(?:date of|entry into|entered into|enters? into) application\b|\bbecomes?"
    r" applicable\b|\bapplication date\b|\bapplicability\b"
    r"|\b(?:date of )?end of validity\b)"
)
PLANNED_CUE = (
    r"(?:\bwill be (?:published|adopted|presented|released|launched|available|issued"
    r"|finali[sz]ed|submitted)\b|\b(?:is|are) (?:planned|scheduled|expected|foreseen|due)"
    r"\b|\bplanned for\b|\bscheduled for\b|\bforeseen for\b|\bexpected (?:on|in|by)\b"
    r"|\bdue (?:on|in|by)\b)"
)
PERIOD = (
    r"(?:open|consultation|feedback|survey|submissions?|contributions?|call|registration"
    r"|questionnaire)"
)
FAQ_HINT = r"(?:faqs?|q&a|questions?[ -]and[ -]answers|frequently asked)"
ELSEWHERE = (
    r"(?:related (?:content|news|links|pages|topics|events|articles|projects|documents"
    r"|publications)|see also|more news|latest news|you may also (?:like|be interested)"
    r"|discover more|read more|in focus|top stories|other (?:news|topics)|share this page"
    r"|follow us|social media|useful links|quick links"
    r"|stay up to date"
    r"|newsletters?"
    r"|subscribe\w*(?: to \S+(?: \S+){0,3})?"
    r"|navigation(?: and service)?"
    r"|main menu"
    r"|menu)"
)
# One word can change what a text obliges: "shall" → "may", "shall" → "shall not".
NORMATIVE = (
    "shall",
    "must",
    "should",
    "not",
    "no",
    "never",
    "cannot",
    "prohibited",
    "prohibits",
    "required",
    "requires",
    "mandatory",
    "optional",
    "voluntary",
    "exempt",
    "exempted",
    "obliged",
)
FUNCTION_WORDS = (
    "a an the and or but nor of to in on at by for from with without between into onto upon"
    " as than then so that this these those it its is are was were be been being has have had"
    " do does did not no yes there here which who whom whose what when where while until till"
    " through during before after above below over under again also only just very more most"
    " such same other each any all both either neither own our your their his her we you they"
    " he she i me my us them via per"
)
