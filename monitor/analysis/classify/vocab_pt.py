"""Portuguese: the patterns of ``vocab_en`` that Portuguese publications need most
(consultations, their deadlines and status, publications, events). A leaf: it imports
nothing."""

from __future__ import annotations

CONSULTATION = r"(?:consultas? públicas?|consulta|convite à apresentação de contributos|inquérito)"
FEEDBACK = r"(?:contributos|comentários|observações)"
CLOSED = r"(?:(?:foi|está) (?:encerrad[ao]|concluíd[ao])|terminou)"
OPENED = r"(?:(?:está|foi) abert[ao]|lança|inicia)"
EXTENDED = r"(?:prorrogad[ao]s?|prorrogação|prolonga(?:d[ao]s?)?|adiad[ao]s?)"
PUBLICATION_NOUN = (
    r"(?:orientações|diretrizes|relatórios?|parecer|pareceres|recomendaç(?:ão|ões)|guias?"
    r"|projetos? de \w+|códigos? de (?:conduta|boas práticas)|perguntas frequentes"
    r"|declaraç(?:ão|ões)|estudos?|fichas?|brochuras?|manua(?:l|is)|metodologia|resumos?"
    r"|análises?|livro branco|roteiro|avaliaç(?:ão|ões)"
    r"|notas? (?:explicativas?|técnicas?|informativas?)|documentos?|publicaç(?:ão|ões)"
    r"|comunicaç(?:ão|ões)|estratégia|plano de ação|ferramentas?)"
)
PUBLISH_VERB = (
    r"(?:publicou|publica|publicaram|apresentou|apresenta|adotou|adota|lançou|lança"
    r"|disponibiliza|disponibilizou|divulga|divulgou)"
)
NEW_DOCUMENT = (
    r"(?:nov[ao]s?|primeir[ao]s?|segund[ao]s?|terceir[ao]s?|atualizad[ao]s?|revist[ao]s?"
    r"|definitiv[ao]s?)"
)
AVAILABLE = (
    r"(?:(?:está|estão|foi|foram)\s+(?:agora\s+)?(?:publicad[ao]s?|disponíve(?:l|is)"
    r"|adotad[ao]s?|disponibilizad[ao]s?))"
)
NOW_AVAILABLE = r"(?:já (?:está|estão) disponíve(?:l|is)|pode ser descarregad[ao])"
FUTURE = r"(?:será|serão|em breve|prevista?)"
EVENT = r"(?:webinar|seminário|conferência|workshop|sessão de esclarecimento)"
CLOSING_CUE = r"(?:\baté\b|\bprazo\b|\bdata limite\b)"
APPLY_CUE = r"(?:\baplica(?:-se|r-se)?\b(?: \w+){0,3} (?:até|a partir de)\b)"
DEADLINE_NOUN = r"(?:prazo|data limite)"
SHIFT_BY = r"(?:por mais|por)"
NUMBER_WORDS = (
    ("um", 1),
    ("uma", 1),
    ("dois", 2),
    ("duas", 2),
    ("três", 3),
    ("seis", 6),
    ("dez", 10),
    ("doze", 12),
)
UNITS = (
    ("dias?", "day"),
    ("semanas?", "week"),
    ("meses", "month"),
    ("mês", "month"),
    ("anos?", "year"),
)
