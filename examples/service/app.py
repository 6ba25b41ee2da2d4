"""A reference web service on emulation-rules (FastAPI): score a cluster, explain a unit.

Run it from the repository root (needs the ``service`` extra: FastAPI and uvicorn)::

    .venv/bin/uvicorn --app-dir examples/service app:app --port 8000

- ``GET  /guides``: the shipped guides, loaded and compiled once when the service starts.
- ``POST /guides/{name}/score``: the body is a submission document (JSON, as a submission
  file); the answer is the ranked result and its audit record.
- ``POST /guides/{name}/units/{unit_id}/explanation``: the same body; the answer explains
  one unit, item by item (``explain_dict``).

Every bad input is a 4xx whose body carries the engine's issues (stable ``code``, a
``message``, and a JSON Pointer into the request body), never a 500: 400 for a body that
cannot be read, 404 for an unknown guide or unit, 413 for a body over the limit, 422 for
units the guide refuses (with the result of the other units). The body is read raw and parsed
by the library (exact decimals, duplicate keys refused), never by FastAPI's float parser.
The OpenAPI description uses the library's own pydantic models of results and issues.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from emulation_rules import (
    CompiledRuleset,
    EmulationRulesError,
    Issue,
    SubmissionBatch,
    explain_dict,
    load_ruleset,
    parse_submissions,
    score,
    shipped_guides,
)
from emulation_rules.audit.documents import IssueDoc, ResultDoc
from emulation_rules.audit.records import build_record
from emulation_rules.inputs.submissions import MAX_SUBMISSION_BYTES, SubmissionFile

#: The largest request body read, in bytes (a submission file's limit).
MAX_BODY = MAX_SUBMISSION_BYTES


class ProblemIssue(IssueDoc):
    """An issue of the request, with where it is in the body as a JSON Pointer."""

    pointer: str


class Problem(BaseModel):
    """The body of every 4xx answer."""

    error: str
    issues: list[ProblemIssue]
    #: The result of the units that could be scored (422 only).
    result: ResultDoc | None = None


class Scored(BaseModel):
    """The answer of ``POST /guides/{name}/score``."""

    result: ResultDoc
    #: The audit record (docs/audit.md): replay it to re-evaluate the result.
    record: dict[str, Any]


class GuideInfo(BaseModel):
    """A shipped guide the service scores with."""

    name: str
    id: str
    version: str
    title: str


class _RequestError(Exception):
    """A 4xx answer with the engine's issues."""

    def __init__(
        self, status: int, error: str, issues: list[dict[str, Any]], result: Any = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body: dict[str, Any] = {"error": error, "issues": issues}
        if result is not None:
            self.body["result"] = result


def _issue(issue: Issue, batch: SubmissionBatch | None = None) -> dict[str, Any]:
    data = issue.as_dict()
    data["pointer"] = batch.pointer(issue) if batch is not None else issue.pointer
    return data


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": meaning}
    for status, meaning in (
        (400, "The body cannot be read (invalid JSON, not a submission document, …)."),
        (404, "No shipped guide, or no unit, has that name."),
        (413, "The body is larger than the limit."),
        (422, "Units the guide refuses; the result of the others is included."),
    )
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SubmissionFile.model_json_schema()}},
    }
}


def create_app() -> FastAPI:
    """The service, with every shipped guide loaded and compiled once."""
    guides: dict[str, CompiledRuleset] = {
        g.name: load_ruleset(g.path) for g in shipped_guides() if not g.template
    }
    app = FastAPI(
        title="emulation-rules reference service",
        description=__doc__,
        version="1",
    )

    @app.exception_handler(_RequestError)
    async def _failure(_request: Request, exc: _RequestError) -> Response:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(EmulationRulesError)
    async def _library_error(_request: Request, exc: EmulationRulesError) -> Response:
        body = {"error": exc.message, "issues": [_issue(i) for i in exc.issues]}
        return JSONResponse(body, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> Response:
        issues = [
            {
                "code": "usage",
                "message": str(e.get("msg", "invalid request")),
                "pointer": "",
                "path": [str(p) for p in e.get("loc", ())],
            }
            for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "issues": issues}, status_code=400)

    def guide_named(name: str) -> CompiledRuleset:
        guide = guides.get(name)
        if guide is None:
            message = f"no shipped guide is called {name!r}"
            issue = {"code": "file-not-found", "message": message, "pointer": ""}
            raise _RequestError(404, message, [issue])
        return guide

    async def read_batch(request: Request) -> SubmissionBatch:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            message = f"the body has {declared} bytes; the limit is {MAX_BODY}"
            raise _RequestError(
                413, message, [{"code": "file-too-large", "message": message, "pointer": ""}]
            )
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                message = f"the body has more than {MAX_BODY} bytes, the limit"
                raise _RequestError(
                    413, message, [{"code": "file-too-large", "message": message, "pointer": ""}]
                )
        text = bytes(body)
        if text.lstrip()[:1] not in (b"{", b"["):  # JSON only: YAML is for files
            message = "the body is not a JSON object"
            raise _RequestError(
                400, message, [{"code": "wrong-type", "message": message, "pointer": ""}]
            )
        batch = await run_in_threadpool(parse_submissions, text, name="request")
        errors = [i for i in batch.issues if i.severity == "error"]
        if errors:
            raise _RequestError(400, "the body cannot be read", [_issue(i, batch) for i in errors])
        return batch

    def scored(guide: CompiledRuleset, batch: SubmissionBatch) -> tuple[Any, dict[str, Any]]:
        result = score(guide, batch)
        problems = [_issue(i, batch) for r in result.rejected for i in r.issues]
        if problems:
            raise _RequestError(422, "some units cannot be scored", problems, result.to_dict())
        return result, result.to_dict()

    @app.get("/guides", response_model=list[GuideInfo])
    def list_guides() -> list[GuideInfo]:
        return [
            GuideInfo(name=n, id=g.id, version=g.version, title=g.ruleset.title)
            for n, g in sorted(guides.items())
        ]

    @app.post(
        "/guides/{name}/score",
        response_model=Scored,
        responses=_PROBLEMS,
        openapi_extra=_BODY,
    )
    async def score_cluster(name: str, request: Request) -> Response:
        guide = guide_named(name)
        batch = await read_batch(request)

        def work() -> dict[str, Any]:
            result, data = scored(guide, batch)
            record = build_record(guide, batch.submissions, result, rejected_before=batch.rejected)
            return {"result": data, "record": record}

        return JSONResponse(await run_in_threadpool(work))

    @app.post(
        "/guides/{name}/units/{unit_id}/explanation",
        responses=_PROBLEMS,
        openapi_extra=_BODY,
    )
    async def explain(name: str, unit_id: str, request: Request) -> Response:
        guide = guide_named(name)
        batch = await read_batch(request)

        def work() -> dict[str, Any]:
            result, _ = scored(guide, batch)
            for unit in result.units:
                if unit.unit_id == unit_id:
                    return explain_dict(unit, guide)
            message = f"no unit {unit_id!r} in the submissions"
            raise _RequestError(
                404, message, [{"code": "unknown-unit", "message": message, "pointer": ""}]
            )

        return JSONResponse(await run_in_threadpool(work))

    return app


app = create_app()
