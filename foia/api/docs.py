"""The API's docs page (/api/v1/docs): every operation of the OpenAPI document with its parameters, request and
response schemas and a curl example with a token, rendered by our own template (no CDN script: the CSP forbids
them). Built from the same document clients read at /api/v1/openapi.json, so the two cannot disagree."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")
#: Example values for path parameters in the curl examples.
PATH_EXAMPLES = {"ref": "FT-2026-0001", "document_id": "1"}


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str
    ref: str | None = None  # a component schema it refers to (linked on the page)


@dataclass
class Body:
    content_type: str
    schema_name: str | None
    fields: list[Field]


@dataclass
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: str
    tag: str
    parameters: list[Field] = field(default_factory=list)
    body: Body | None = None
    responses: list[tuple[str, str, str | None]] = field(default_factory=list)  # (code, description, schema)
    curl: str = ""


def spec_dict() -> dict[str, Any]:
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api.spec.to_dict()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(prop: dict[str, Any]) -> tuple[str, str | None]:
    """A property's type in words ('string (date)', 'array of Agency', 'integer or null') and the schema it names."""
    if "$ref" in prop:
        name = _ref_name(prop["$ref"])
        return name, name
    if "allOf" in prop and prop["allOf"] and "$ref" in prop["allOf"][0]:
        return type_of(prop["allOf"][0])
    kinds = prop.get("type", "any")
    kinds = list(kinds) if isinstance(kinds, list) else [kinds]
    ref = None
    words = []
    for kind in kinds:
        if kind == "array":
            inner, ref = type_of(prop.get("items", {}))
            words.append(f"array of {inner}")
        elif kind == "null":
            continue
        else:
            words.append(kind + (f" ({prop['format']})" if prop.get("format") else ""))
    text = " or ".join(words) or "any"
    if "null" in kinds:
        text += " or null"
    return text, ref


def describe(prop: dict[str, Any]) -> str:
    """A property's description, with its allowed values and default."""
    text = prop.get("description", "")
    values = [str(v) for v in prop.get("enum") or () if v is not None]
    if values:
        text += (" " if text else "") + "One of: `" + "`, `".join(values) + "`."
    if prop.get("default") not in (None, "", [], {}):
        text += f" Default: `{prop['default']}`."
    return text


def schema_fields(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, list[Field]]:
    name = None
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    required = set(schema.get("required", []))
    out = []
    for prop_name, prop in (schema.get("properties") or {}).items():
        text, ref = type_of(prop)
        out.append(Field(prop_name, text, prop_name in required, describe(prop), ref))
    return name, out


def _example_value(prop: dict[str, Any]) -> Any:
    if "example" in prop:
        return prop["example"]
    kinds = prop.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if prop.get("enum"):
        return prop["enum"][0]
    if "boolean" in kinds:
        return False
    return None


def example_body(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON body for the curl example: the required fields and those with an example value."""
    if "$ref" in schema:
        schema = spec.get("components", {}).get("schemas", {}).get(_ref_name(schema["$ref"]), {})
    required = set(schema.get("required", []))
    body = {}
    for name, prop in (schema.get("properties") or {}).items():
        value = _example_value(prop)
        if name in required or (value not in (None, False, "", [])):
            body[name] = value if value is not None else "..."
    return body


def curl_for(spec: dict[str, Any], base: str, method: str, path: str, op: dict[str, Any]) -> str:
    """A curl command for the operation, one option a line, with the token from $FOIA_TOKEN."""
    url_path = path
    for name, value in PATH_EXAMPLES.items():
        url_path = url_path.replace("{" + name + "}", value)
    query = [(p["name"], p.get("example", p.get("schema", {}).get("example")))
             for p in op.get("parameters", []) if p.get("in") == "query"]
    shown = [(k, v) for k, v in query if v not in (None, "")][:1]
    url = base + url_path + ("?" + "&".join(f"{k}={v}" for k, v in shown) if shown else "")
    lines = ["curl" + ("" if method == "get" else f" -X {method.upper()}"),
             '-H "Authorization: Bearer $FOIA_TOKEN"']
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        media = content["application/json"]
        body = json.dumps(media.get("example") or example_body(spec, media["schema"]), ensure_ascii=False)
        lines += ['-H "Content-Type: application/json"', "-d " + shlex.quote(body)]
    elif "multipart/form-data" in content:
        lines.append("-F file=@release.pdf")
    if "download" in path:
        lines.append("--remote-name --remote-header-name")
    lines.append(shlex.quote(url))
    return " \\\n  ".join(lines)


def operations(spec: dict[str, Any], base: str) -> list[Operation]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = []
            for p in [*shared, *op.get("parameters", [])]:
                text, ref = type_of(p.get("schema", {}))
                params.append(Field(f"{p['name']} ({p['in']})", text, bool(p.get("required")),
                                    describe({**p.get("schema", {}), "description": p.get("description", "")}), ref))
            body = None
            for ctype, media in ((op.get("requestBody") or {}).get("content") or {}).items():
                name, fields_ = schema_fields(spec, media.get("schema", {}))
                body = Body(ctype, name, fields_)
                break
            responses = []
            for code, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    resp = spec.get("components", {}).get("responses", {}).get(_ref_name(resp["$ref"]), {})
                schema_name = None
                for media in (resp.get("content") or {}).values():
                    schema_name, _ = schema_fields(spec, media.get("schema", {}))
                    break
                responses.append((str(code), resp.get("description", ""), schema_name))
            ops.append(Operation(id=op.get("operationId", f"{method}-{path}"), method=method.upper(), path=path,
                                 summary=op.get("summary", ""), description=op.get("description", ""),
                                 tag=(op.get("tags") or [""])[0], parameters=params, body=body,
                                 responses=sorted(responses, key=lambda r: (not r[0].startswith("2"), r[0])), curl=curl_for(spec, base, method, path, op)))
    return ops


@bp.app_template_filter("inline_code")
def inline_code(text: str) -> Markup:
    """`code` in the document's descriptions as <code>code</code> (escaped first: nothing else is markup)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text or ""))))


@bp.route("/api/v1/docs")
def docs():
    """For people: read in a browser (signed in or not; it documents, it shows no data)."""
    spec = spec_dict()
    base = current_app.config["FOIA_BASE_URL"].rstrip("/")
    schemas = {name: schema_fields(spec, s)[1] for name, s in sorted(spec.get("components", {})
                                                                       .get("schemas", {}).items())}
    return render_template("api/docs.html", spec=spec, ops=operations(spec, base), schemas=schemas, base=base)
