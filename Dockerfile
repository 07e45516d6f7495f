# lexwatch: one image; `lexwatch run` by default.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LEXWATCH_DATABASE_URL=sqlite:////data/lexwatch.db \
    LEXWATCH_CONFIG=/data/lexwatch.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY sources ./sources
COPY storage ./storage
COPY notifiers ./notifiers
COPY dashboard ./dashboard
RUN pip install --no-cache-dir . && useradd --create-home --uid 10001 lexwatch \
    && mkdir -p /data && chown lexwatch /data

USER lexwatch
VOLUME ["/data"]
WORKDIR /data
CMD ["sh", "-c", "if [ -f \"$LEXWATCH_CONFIG\" ]; then exec lexwatch run; else LEXWATCH_CONFIG= exec lexwatch run; fi"]
