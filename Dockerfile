# lexwatch: `lexwatch run` (scheduler + dashboard) by default; the data lives in /data.
#
#   docker build -t lexwatch .
#   docker run -d -p 127.0.0.1:8787:8787 -v lexwatch-data:/data \
#       -e LEXWATCH_HTTP__CONTACT=mailto:you@example.org lexwatch
#
# The dependencies are installed with the same constraints file CI installs from
# (`pip install -c constraints.txt -e '.[dev]'` in .ci/run), so the image runs the versions
# the tests passed with.

# -- builder: compilers allowed here, never in the final image ------------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY monitor ./monitor
COPY sources ./sources
COPY storage ./storage
COPY notifiers ./notifiers
COPY dashboard ./dashboard
# Wheels for lexwatch and every dependency, at the pinned versions.
RUN pip wheel -c constraints.txt --wheel-dir /wheels .

# -- final: the wheels only, a non-root user, a data volume ----------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    LEXWATCH_DASHBOARD__HOST=0.0.0.0
# The dashboard binds 127.0.0.1 outside a container. Inside one, 0.0.0.0 is needed for the
# port mapping to reach it; the mapping (127.0.0.1:8787:8787 in compose.yaml) is the boundary.

# Chromium, Debian's package as in CI, for the sources with render = true
# (sources/fetch/render.py); it is found on the PATH. The browser only, no build tools.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

COPY --from=builder /wheels /wheels
COPY constraints.txt /tmp/constraints.txt
RUN pip install -c /tmp/constraints.txt --no-index --find-links /wheels lexwatch \
    && rm -rf /wheels /tmp/constraints.txt \
    && useradd --create-home --uid 10001 --user-group lexwatch \
    && mkdir -p /data && chown lexwatch:lexwatch /data

USER lexwatch
# database_url defaults to sqlite:///lexwatch.db, relative to the working directory, and
# ./lexwatch.toml is read when it exists: both live in the volume.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4)"]

ENTRYPOINT ["lexwatch"]
CMD ["run"]
