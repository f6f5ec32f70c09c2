#!/usr/bin/env python3
"""Check recorded HTTP exchanges against an OpenAPI 3.x document.

Usage:
    python validate.py [--uncovered] SPEC.json EXCHANGES.json

SPEC.json is the document the app serves at /api/v1/openapi.json.
EXCHANGES.json is a JSON array of objects:

    {"method": "GET", "path": "/api/v1/events?from=2026-01-01",
     "status": 200, "content_type": "application/json", "body": "...",
     "request_content_type": "application/json" or null,
     "request_body": "..." or null}

For each exchange the response must use a documented status (or `default`),
a documented content type, and a body matching its schema. A request body,
when given, is checked only for 2xx answers: 4xx exchanges are expected to
carry deliberately invalid requests.

Exit status: 0 all good, 1 a failure (or an invalid spec), 2 bad input.
"""

import argparse
import copy
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

try:
    from jsonschema.exceptions import best_match
    from jsonschema_path import SchemaPath
    from openapi_core import Config, OpenAPI
    from openapi_core.datatypes import RequestParameters
    from openapi_core.deserializing.media_types.exceptions import (
        MediaTypeDeserializeError,
    )
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.templating.paths.exceptions import (
        OperationNotFound,
        PathError,
        PathNotFound,
        ServerNotFound,
    )
    from openapi_core.templating.paths.finders import APICallPathFinder
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.validation.request.exceptions import (
        MissingRequestBody,
        MissingRequiredRequestBody,
    )
    from openapi_core.validation.request.validators import (
        V30RequestBodyValidator,
        V31RequestBodyValidator,
        V32RequestBodyValidator,
    )
    from openapi_core.validation.response.exceptions import MissingData
    from openapi_core.validation.response.validators import (
        V30ResponseDataValidator,
        V31ResponseDataValidator,
        V32ResponseDataValidator,
    )
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )
    from openapi_spec_validator.versions import consts as versions
    from openapi_spec_validator.versions.exceptions import OpenAPIVersionNotFound
    from openapi_spec_validator.versions.shortcuts import get_spec_version
    from werkzeug.datastructures import Headers, ImmutableMultiDict
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write(
        f"error: {exc}\n"
        "install the pinned dependencies first: "
        "pip install -r tools/openapi-check/requirements.txt\n"
    )
    sys.exit(2)

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
HOST_URL = "http://localhost"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_REASONS = 5  # per exchange, so one broken list body stays one readable line
MAX_TEXT = 300  # jsonschema messages embed the whole failing value
MAX_SPEC_ERRORS = 20

# Data-only validators: the recordings carry no response headers, so the
# full validators would flag every header the spec marks as required.
VALIDATORS = {
    versions.OPENAPIV30: (OpenAPIV30SpecValidator, V30RequestBodyValidator, V30ResponseDataValidator),
    versions.OPENAPIV31: (OpenAPIV31SpecValidator, V31RequestBodyValidator, V31ResponseDataValidator),
    versions.OPENAPIV32: (OpenAPIV32SpecValidator, V32RequestBodyValidator, V32ResponseDataValidator),
}


class BadInput(Exception):
    """Input that is not what the CLI documents (exit 2)."""


class InvalidSpec(Exception):
    """A readable OpenAPI document that fails validation (exit 1)."""


@dataclass
class Exchange:
    method: str  # upper case, as printed
    path: str  # as recorded, query included, as printed
    url_path: str
    query: str
    status: int
    content_type: Optional[str]
    body: Optional[str]
    request_content_type: Optional[str]
    request_body: Optional[str]


@dataclass
class ExchangeRequest:
    """openapi_core.protocols.Request built from a recording."""

    method: str
    path: str
    body: Optional[bytes]
    content_type: str
    parameters: RequestParameters
    host_url: str = HOST_URL


@dataclass
class ExchangeResponse:
    """openapi_core.protocols.Response built from a recording."""

    status_code: int
    data: Optional[bytes]
    content_type: str
    headers: Headers = field(default_factory=Headers)


# ---------------------------------------------------------------- input


def load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: not valid JSON: {exc}") from exc


def load_exchanges(path: str) -> list[Exchange]:
    data = load_json(path)
    if not isinstance(data, list):
        raise BadInput(f"{path}: expected a JSON array of exchanges")
    return [parse_exchange(item, f"{path}: exchange #{i}") for i, item in enumerate(data)]


def parse_exchange(item: Any, where: str) -> Exchange:
    if not isinstance(item, dict):
        raise BadInput(f"{where}: expected an object")
    method = item.get("method")
    if not isinstance(method, str) or not method.strip():
        raise BadInput(f"{where}: 'method' must be a non-empty string")
    path = item.get("path")
    if not isinstance(path, str) or not path:
        raise BadInput(f"{where}: 'path' must be a non-empty string")
    status = item.get("status")
    # bool is an int subclass; true/false is never a status
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise BadInput(f"{where}: 'status' must be an integer HTTP status")
    optional = {}
    for key in ("content_type", "body", "request_content_type", "request_body"):
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise BadInput(f"{where}: '{key}' must be a string or null")
        optional[key] = value

    # Tolerate full URLs in recordings: only path and query take part.
    parts = urlsplit(path)
    url_path = parts.path if (parts.scheme or parts.netloc) else path.split("?", 1)[0].split("#", 1)[0]
    if not url_path.startswith("/"):
        raise BadInput(f"{where}: 'path' must start with '/'")
    return Exchange(
        method=method.strip().upper(),
        path=path,
        url_path=url_path,
        query=parts.query,
        status=status,
        **optional,
    )


# ---------------------------------------------------------------- spec


def spec_version(spec: Any, path: str):
    if not isinstance(spec, dict):
        raise BadInput(f"{path}: expected a JSON object (an OpenAPI document)")
    try:
        version = get_spec_version(spec)
    except OpenAPIVersionNotFound as exc:
        raise BadInput(f"{path}: not an OpenAPI document (no usable 'openapi' version field)") from exc
    if version not in VALIDATORS:
        raise BadInput(f"{path}: only OpenAPI 3.x is supported, got {version.keyword} {version.major}.{version.minor}")
    return version


def check_spec(spec: dict, version, path: str) -> None:
    spec_validator_cls = VALIDATORS[version][0]
    try:
        errors = list(spec_validator_cls(SchemaPath.from_dict(spec)).iter_errors())
    except Exception as exc:  # e.g. an unresolvable $ref aborts the walk
        raise InvalidSpec(f"{path}: invalid OpenAPI document: {type(exc).__name__}: {clip(str(exc))}") from exc
    if not errors:
        return
    lines = [f"{path}: invalid OpenAPI {version.major}.{version.minor} document ({len(errors)} error(s)):"]
    for err in errors[:MAX_SPEC_ERRORS]:
        lines.append(f"  {getattr(err, 'json_path', '$')}: {clip(getattr(err, 'message', str(err)))}")
    if len(errors) > MAX_SPEC_ERRORS:
        lines.append(f"  ... and {len(errors) - MAX_SPEC_ERRORS} more")
    raise InvalidSpec("\n".join(lines))


def server_path(url: str) -> str:
    # Requests go to HOST_URL, so an absolute server url (whatever its host,
    # possibly templated) can only match through its path part.
    if url.startswith("//") or "://" in url:
        rest = url.split("//", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return url


def localise_servers(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    # Missing servers mean "/" (OpenAPI 3.1 §4.8.1): paths then carry any
    # /api/v1 prefix themselves. Existing servers, e.g. [{"url": "/api/v1"}]
    # with paths like /events/{slug}, are kept.
    if not spec.get("servers"):
        spec["servers"] = [{"url": "/"}]
    server_lists = [spec["servers"]]
    for item in (spec.get("paths") or {}).values():
        if isinstance(item, dict):
            server_lists.append(item.get("servers") or [])
            server_lists += [op.get("servers") or [] for m, op in item.items() if m in HTTP_METHODS and isinstance(op, dict)]
    for servers in server_lists:
        for server in servers if isinstance(servers, list) else []:
            if isinstance(server, dict) and isinstance(server.get("url"), str):
                server["url"] = server_path(server["url"])
    return spec


def spec_operations(spec_path: SchemaPath) -> list[tuple[str, str]]:
    if "paths" not in spec_path:
        return []
    return [
        (method.upper(), template)
        for template, item in (spec_path / "paths").str_items()
        for method in HTTP_METHODS
        if method in item  # SchemaPath follows a path item's $ref
    ]


# ---------------------------------------------------------------- reasons


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__
    return chain


def schema_error_text(err: Any, where: str) -> str:
    text = f"{where} body {getattr(err, 'json_path', '$')}: {clip(getattr(err, 'message', str(err)))}"
    # oneOf/anyOf (utoipa's nullable $ref) only say "not valid under any of
    # the given schemas": name the branch that came closest and why.
    context = getattr(err, "context", None)
    if context:
        # Skip branches that reject the value's type outright, like the
        # {"type": "null"} half: they would win best_match and explain nothing.
        depth = len(err.absolute_path)
        informative = [e for e in context if not (e.validator == "type" and len(e.absolute_path) == depth)]
        best = best_match(informative or context)
        text += f" (closest: {best.json_path}: {clip(best.message, 150)})"
    return text


def explain(exc: BaseException, where: str, ex: Exchange) -> list[str]:
    """Readable reasons for one openapi-core error, innermost detail first."""
    chain = cause_chain(exc)
    for link in chain:
        if isinstance(link, ResponseNotFound):
            documented = ", ".join(link.availableresponses) or "none"
            return [f"status {ex.status} not documented (documented: {documented})"]
        if isinstance(link, MediaTypeNotFound):
            documented = ", ".join(link.availableMimetypes) or "none"
            return [f"{where} content type {link.mimetype or '(none)'} not documented (documented: {documented})"]
        if isinstance(link, MediaTypeDeserializeError):
            return [f"{where} body is not valid {link.mimetype}"]
        if isinstance(link, MissingData):
            return ["response body is empty but the spec documents content for this status"]
        if isinstance(link, MissingRequiredRequestBody):
            return ["request body is empty but the spec requires one"]
        if isinstance(link, OperationNotFound):
            return [f"method {ex.method} not documented for this path"]
        if isinstance(link, PathNotFound):
            return ["no path in the spec matches"]
        if isinstance(link, ServerNotFound):
            return ["path does not start with any server url of the spec"]
        schema_errors = list(getattr(link, "schema_errors", None) or [])
        if schema_errors:
            return [schema_error_text(err, where) for err in schema_errors]
    inner = chain[-1]
    return [f"{where}: {type(inner).__name__}: {clip(str(inner))}"]


# ---------------------------------------------------------------- checking


def encode(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else text.encode("utf-8")


def media_type(value: Optional[str]) -> Optional[str]:
    """The content type in a form openapi-core parses, or None if malformed.

    openapi-core unpacks every parameter as exactly one name=value and raises
    ValueError otherwise; empty parameters (a trailing ';') are harmless, and
    parameters whose value holds '=' matter to no body type we check.
    """
    mime, *params = (value or "").split(";")
    kept = []
    for param in (p.strip() for p in params):
        if not param:
            continue
        if "=" not in param:
            return None
        if param.count("=") == 1:
            kept.append(param)
    return "; ".join([mime.strip().lower(), *kept])


def build_request(ex: Exchange, content_type: str) -> ExchangeRequest:
    return ExchangeRequest(
        method=ex.method.lower(),
        path=ex.url_path,
        body=encode(ex.request_body),
        content_type=content_type,
        parameters=RequestParameters(query=ImmutableMultiDict(parse_qsl(ex.query, keep_blank_values=True))),
    )


def check_exchange(app: OpenAPI, ex: Exchange) -> list[str]:
    reasons: list[str] = []
    response_type = media_type(ex.content_type)
    request_type = media_type(ex.request_content_type)
    check_request = ex.request_body is not None and 200 <= ex.status < 300
    if response_type is None:
        reasons.append(f"response content type {ex.content_type!r} is malformed")
    if check_request and request_type is None:
        reasons.append(f"request content type {ex.request_content_type!r} is malformed")
    request = build_request(ex, request_type or "")
    response = ExchangeResponse(status_code=ex.status, data=encode(ex.body), content_type=response_type or "")
    try:
        if response_type is not None:
            for err in app.iter_response_errors(request, response):
                reasons += explain(err, "response", ex)
        if check_request and request_type is not None:
            for err in app.iter_request_errors(request):
                # A path error was already reported for the response; an empty
                # body for an optional requestBody is fine.
                if isinstance(err, PathError) or type(err) is MissingRequestBody:
                    continue
                reasons += explain(err, "request", ex)
    except Exception as exc:  # a malformed recording must not abort the run
        reasons.append(f"cannot validate: {type(exc).__name__}: {clip(str(exc))}")
    return reasons


def matched_operation(finder: APICallPathFinder, ex: Exchange) -> Optional[tuple[str, str]]:
    try:
        found = finder.find(ex.method.lower(), HOST_URL + ex.url_path)
    except PathError:
        return None
    return ex.method, found.path_result.pattern


def run(spec_file: str, exchanges_file: str, show_uncovered: bool) -> int:
    spec = load_json(spec_file)
    version = spec_version(spec, spec_file)
    exchanges = load_exchanges(exchanges_file)
    check_spec(spec, version, spec_file)

    _, request_validator_cls, response_validator_cls = VALIDATORS[version]
    config = Config(
        spec_validator_cls=None,  # already done above, with better messages
        request_validator_cls=request_validator_cls,
        response_validator_cls=response_validator_cls,
    )
    try:
        app = OpenAPI.from_dict(localise_servers(spec), config=config)
    except Exception as exc:
        raise InvalidSpec(f"{spec_file}: openapi-core cannot load it: {type(exc).__name__}: {clip(str(exc))}") from exc
    finder = APICallPathFinder(app.spec)
    operations = spec_operations(app.spec)

    failures = 0
    covered: set[tuple[str, str]] = set()
    for ex in exchanges:
        op = matched_operation(finder, ex)
        if op is not None:
            covered.add(op)
        reasons = check_exchange(app, ex)
        if reasons:
            failures += 1
            if len(reasons) > MAX_REASONS:
                reasons = reasons[:MAX_REASONS] + [f"(+{len(reasons) - MAX_REASONS} more)"]
            print(f"FAIL {ex.method} {ex.path} {ex.status}: {'; '.join(reasons)}")

    if show_uncovered:
        for method, template in operations:
            if (method, template) not in covered:
                print(f"UNCOVERED {method} {template}")
    covered_count = sum(1 for op in operations if op in covered)
    print(f"{len(exchanges)} exchanges, {failures} failures, operations covered: {covered_count} of {len(operations)}")
    return EXIT_FAIL if failures else EXIT_OK


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Validate recorded HTTP exchanges against an OpenAPI 3.x document.",
    )
    parser.add_argument("spec", metavar="SPEC.json", help="OpenAPI document (JSON)")
    parser.add_argument("exchanges", metavar="EXCHANGES.json", help="JSON array of recorded exchanges")
    parser.add_argument("--uncovered", action="store_true", help="list the operations that no exchange exercised")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    # Bodies quote Japanese text; never die on a non-UTF-8 terminal.
    sys.stdout.reconfigure(errors="backslashreplace")
    sys.stderr.reconfigure(errors="backslashreplace")
    try:
        return run(args.spec, args.exchanges, args.uncovered)
    except BrokenPipeError:  # e.g. `| head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")
        return EXIT_FAIL
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvalidSpec as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
