"""/api/docs: Swagger UI for the JSON API, served from the swagger-ui-bundle-v2 package.

Nothing comes from a CDN, so the page works offline, and nothing is inline, so it runs under
the dashboard's strict Content-Security-Policy with only ``script-src 'self'`` and
``connect-src 'self'`` added (Swagger UI is a script that fetches /api/openapi.json).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"
ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}

router = APIRouter(include_in_schema=False)

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lexwatch API</title>
<link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui" data-openapi="{OPENAPI_PATH}"></div>
<script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get(DOCS_PATH)
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get(DOCS_PATH + "/{name}")
def docs_asset(name: str) -> FileResponse:
    """The two Swagger UI files the page loads (nothing else from the package)."""
    if name not in ASSETS:
        raise HTTPException(status_code=404, detail=f"no file {name!r} in the API docs")
    return FileResponse(
        Path(swagger_ui_path) / name,
        media_type=ASSETS[name],
        headers={"cache-control": "public, max-age=86400"},
    )
