"""``/docs``: the API reference as one server-rendered page, with no script.

FastAPI's default ``/docs`` loads Swagger UI from a third-party CDN
(jsdelivr) into the origin where an administrator types the API key; no
package that bundles Swagger UI is installed here, so the page is rendered
from the OpenAPI schema on the server instead: every path and method, its
parameters, request body fields (with their limits) and responses. Nothing on
it runs; its CSP forbids scripts altogether. The schema itself stays at
``/openapi.json`` for tools.
"""

from __future__ import annotations

import html
from typing import Any

DOCS_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.method{display:inline-block;min-width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}.delete{color:#c30}
code{background:#f4f4f4;padding:0 .2rem;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border-bottom:1px solid #eee;padding:.2rem .4rem;text-align:left;vertical-align:top}
.muted{color:#777}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        resolved = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        return resolved if isinstance(resolved, dict) else {}
    return schema


def _type(schema: dict[str, Any], spec: dict[str, Any]) -> str:
    """A short readable type: ``string ≤ 500``, ``integer 1…100``, ``SearchFilters``, ``a | b``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts = [_type(s, spec) for s in schema[key] if isinstance(s, dict)]
            return " | ".join(p for p in parts if p)
    kind = str(schema.get("type", ""))
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind = f"[{_type(schema['items'], spec)}]"
    limits = []
    if "minLength" in schema or "maxLength" in schema:
        limits.append(f"{schema.get('minLength', 0)}…{schema.get('maxLength', '')} chars")
    if "minimum" in schema or "maximum" in schema:
        limits.append(f"{schema.get('minimum', '')}…{schema.get('maximum', '')}")
    if "pattern" in schema:
        limits.append(f"pattern {schema['pattern']}")
    if "enum" in schema:
        limits.append("one of " + ", ".join(map(str, schema["enum"])))
    return kind + (f" ({'; '.join(limits)})" if limits else "")


def _fields_table(schema: dict[str, Any], spec: dict[str, Any], seen: frozenset[str] = frozenset()) -> str:
    schema = _resolve(schema, spec)
    properties = schema.get("properties") or {}
    if not properties:
        return f"<p><code>{_e(_type(schema, spec) or 'object')}</code></p>"
    required = set(schema.get("required") or [])
    rows = []
    nested = []
    for name, field in properties.items():
        if not isinstance(field, dict):
            continue
        default = f" <span class=muted>default {_e(field['default'])}</span>" if "default" in field else ""
        rows.append(
            f"<tr><td><code>{_e(name)}</code>{' *' if name in required else ''}</td>"
            f"<td>{_e(_type(field, spec))}{default}</td><td>{_e(field.get('description', ''))}</td></tr>"
        )
        refs = [field] + [s for s in field.get("anyOf", []) if isinstance(s, dict)]
        for sub in refs:
            ref = sub.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                nested.append((ref.rsplit("/", 1)[-1], _fields_table(sub, spec, seen | {ref})))
    out = "<table><tr><th>field</th><th>type</th><th>meaning</th></tr>" + "".join(rows) + "</table>"
    for title, table in nested:
        out += f"<p class=muted>{_e(title)}:</p>{table}"
    return out


def render_docs(spec: dict[str, Any]) -> str:
    """The reference page for an OpenAPI document (every string escaped)."""
    info = spec.get("info", {})
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>{_e(info.get('title', 'API'))} — API</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(info.get('title', 'API'))} <span class=muted>{_e(info.get('version', ''))}</span></h1>",
        f"<p>{_e(info.get('description', ''))}</p>",
        "<p>The machine-readable schema: <a href='/openapi.json'>/openapi.json</a>. Write endpoints need the "
        "server's key in the <code>X-API-Key</code> header. Errors are "
        "<code>{\"error\": {\"status\", \"message\"}}</code>.</p>",
    ]
    by_tag: dict[str, list[str]] = {}
    for path, methods in (spec.get("paths") or {}).items():
        for method, op in methods.items():
            if not isinstance(op, dict):
                continue
            tag = (op.get("tags") or ["other"])[0]
            body = [
                f"<div class=op><span class='method {_e(method)}'>{_e(method)}</span> <code>{_e(path)}</code>",
                f" — {_e(op.get('summary', ''))}",
            ]
            if op.get("description"):
                body.append(f"<p>{_e(op['description'])}</p>")
            params = [p for p in op.get("parameters", []) if isinstance(p, dict)]
            if params:
                body.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>")
                for p in params:
                    body.append(
                        f"<tr><td><code>{_e(p.get('name'))}</code>{' *' if p.get('required') else ''}</td>"
                        f"<td>{_e(p.get('in'))}</td><td>{_e(_type(p.get('schema') or {}, spec))}</td>"
                        f"<td>{_e(p.get('description', (p.get('schema') or {}).get('description', '')))}</td></tr>"
                    )
                body.append("</table>")
            content = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
            if isinstance(content, dict) and isinstance(content.get("schema"), dict):
                body.append("<p>JSON body:</p>" + _fields_table(content["schema"], spec))
            codes = ", ".join(f"{_e(code)} {_e(r.get('description', ''))}" for code, r in (op.get("responses") or {}).items())
            if codes:
                body.append(f"<p class=muted>responses: {codes}</p>")
            body.append("</div>")
            by_tag.setdefault(str(tag), []).append("".join(body))
    for tag, ops in by_tag.items():
        parts.append(f"<h2>{_e(tag)}</h2>" + "".join(ops))
    parts.append("</body></html>")
    return "".join(parts)
