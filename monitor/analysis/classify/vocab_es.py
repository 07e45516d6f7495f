"""Spanish: the patterns of ``vocab_en`` that Spanish publications need most (consultations,
their deadlines and status, publications, events). A leaf: it imports nothing."""

from __future__ import annotations

CONSULTATION = (
    r"(?:consultas? públicas?|consulta|convocatoria de (?:contribuciones|comentarios)"
    r"|encuesta|cuestionario)"
)
CONSULTS = r"(?:se pueden (?:enviar|presentar) (?:comentarios|contribuciones|observaciones))"
FEEDBACK = r"(?:comentarios|contribuciones|observaciones|aportaciones)"
CLOSED = r"(?:(?:ha|se ha) (?:cerrado|concluido|finalizado)|(?:está|queda) cerrad[ao])"
OPENED = r"(?:(?:está|queda) abiert[ao]|abre|lanza|inicia)"
EXTENDED = r"(?:prorrogad[ao]|prórroga|ampliad[ao]|aplazad[ao])"
STATUS_OPEN = r"(?:abierta|en curso)"
STATUS_CLOSED = r"(?:cerrada|finalizada|concluida)"
STATUS_LABEL = r"(?:estado)"
PUBLICATION_NOUN = (
    r"(?:directrices|guía|informe|dictamen|recomendaci(?:ón|ones)|borrador|proyecto de \w+"
    r"|código de conducta)"
)
PUBLISH_VERB = r"(?:publica|ha publicado|presenta|ha presentado|adopta|ha adoptado)"
FUTURE = r"(?:será|serán|próximamente|previst[ao])"
EVENT = r"(?:seminario web|jornada|seminario|congreso|taller|conferencia)"
CLOSING_CUE = r"(?:\bhasta el\b|\bplazo\b|\bantes del\b|\bfecha límite\b)"
DEADLINE_NOUN = r"(?:plazo|fecha límite)"
CORRIGENDUM = r"(?:corrección de errores)"
CHROME = r"(?:compartir|imprimir|este sitio web utiliza cookies|aceptar todas|boletín)"
STAMP = r"(?:última actualización|actualizado el|fecha de publicación)"
NEGATION = r"(?:ningún|ninguna|no hay)"
