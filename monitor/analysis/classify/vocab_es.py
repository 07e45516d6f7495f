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
EXTENDED = (
    r"(?:prorrogad[ao]|prórroga|ampliad[ao]|aplazad[ao]|ampliación|(?:se )?amplía|amplió"
    r"|(?:se )?prorroga|prorrogó|(?:se )?aplaza|aplazó)"
)
STATUS_OPEN = r"(?:abierta|en curso)"
STATUS_CLOSED = r"(?:cerrada|finalizada|concluida)"
STATUS_LABEL = r"(?:estado)"
PUBLICATION_NOUN = (
    r"(?:directrices|orientaciones|guías?|informes?|dictamen|dictámenes|recomendaci(?:ón|ones)"
    r"|borradores?|proyecto de \w+|códigos? de (?:conducta|buenas prácticas)|plantillas?"
    r"|preguntas frecuentes|declaraci(?:ón|ones)|estudios?|fichas?|folletos?|manual(?:es)?"
    r"|metodología|resumen|análisis|libro blanco|hoja de ruta|evaluaci(?:ón|ones)"
    r"|notas? (?:técnicas?|explicativas?|informativas?)|documentos?|publicaci(?:ón|ones)"
    r"|comunicaci(?:ón|ones)|estrategia|plan de acción|herramientas?|listas? de verificación)"
)
PUBLISH_VERB = (
    r"(?:publica|publican|ha publicado|han publicado|presenta|ha presentado|adopta|ha adoptado"
    r"|lanza|ha lanzado|pone a disposición|difunde)"
)
NEW_DOCUMENT = (
    r"(?:nuev[ao]s?|primer[ao]?s?|segund[ao]s?|tercer[ao]?s?|actualizad[ao]s?|revisad[ao]s?"
    r"|definitiv[ao]s?)"
)
AVAILABLE = (
    r"(?:(?:está|están|ha sido|han sido|queda|quedan)\s+(?:ya\s+)?(?:publicad[ao]s?"
    r"|disponibles?|adoptad[ao]s?))"
)
NOW_AVAILABLE = r"(?:ya (?:está|están) disponibles?|se puede descargar|puede descargarse)"
FUTURE = r"(?:será|serán|próximamente|previst[ao])"
EVENT = r"(?:seminario web|jornada|seminario|congreso|taller|conferencia)"
CLOSING_CUE = (
    r"(?:\bhasta el\b|\bplazo\b|\bantes del\b|\bfecha límite\b|\bfinaliza\b|\btermina\b"
    r"|\bconcluye\b|\bvence\b|\bse cierra\b)"
)
DEADLINE_NOUN = r"(?:plazo|fecha límite)"
CORRIGENDUM = r"(?:corrección de errores)"
CHROME = r"(?:compartir|imprimir|este sitio web utiliza cookies|aceptar todas|boletín)"
STAMP = r"(?:última actualización|actualizado el|fecha de publicación)"
NEGATION = r"(?:ningún|ninguna|no hay)"
