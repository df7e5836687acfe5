"""The API: OSDI resources under /api/v1/ (token), public JSON under /api/public/,
and the OpenAPI schema at /api/schema.

Successful OSDI answers are `application/hal+json`, public ones `application/json`,
and every error an RFC 9457 problem (`application/problem+json`).
"""

from http import HTTPStatus

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from outcry.api import advocacy, people, petitions, public
from outcry.api.auth import RateLimited
from outcry.api.hal import BadFilter, filter_help
from outcry.api.schemas import Problem

HAL = "application/hal+json"
JSON = "application/json"
PROBLEM = "application/problem+json"
PUBLIC = "/api/public/"
# Statuses any operation may answer with a problem, besides those it declares.
ERRORS = {
    "400": "The request cannot be read (a bad filter, say).",
    "404": "No such resource in this organisation.",
    "422": "The request's parameters or body are not valid.",
}
TOKEN_ERRORS = {"401": "No token, or not a live one.", "403": "The token may not do this."}


class HalRenderer(JSONRenderer):
    media_type = HAL


class OutcryAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        status = response.status_code
        if status >= 400:
            response["Content-Type"] = PROBLEM
        elif request.path.startswith(PUBLIC):
            response["Content-Type"] = f"{JSON}; charset=utf-8"
        return response

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, with the media types this API really answers in and the
        problems every operation may return."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        schema["components"]["schemas"]["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                for status, response in responses.items():
                    content = response.get("content", {})
                    if HAL in content and path.startswith(PUBLIC):
                        content[JSON] = content.pop(HAL)
                    if int(status) >= 400:
                        response["content"] = {PROBLEM: problem}
                errors = dict(ERRORS, **(TOKEN_ERRORS if operation.get("security") else {}))
                if method == "post":
                    errors["429"] = "Too many writes with this token; see Retry-After."
                for status, description in errors.items():
                    responses.setdefault(
                        status, {"description": description, "content": {PROBLEM: problem}}
                    )
        return schema


api = OutcryAPI(
    title="Outcry API",
    version="1",
    description="OSDI resources of one organisation (token) and public campaign figures.",
    renderer=HalRenderer(),
    urls_namespace="api",
    openapi_url="/schema",
    # Ninja's docs page loads Swagger UI from a CDN; the guide (docs/api.md) and the
    # schema are the documentation instead.
    docs_url=None,
)


def problem(request, status: int, detail: str, **extra):
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors
    ]
    if any(e["loc"][-1:] == ["filter"] for e in errors):
        return problem(request, 400, filter_help(request.GET.get("filter", "")))
    return problem(request, 422, _("Some values are not valid: see errors."), errors=errors)


@api.exception_handler(BadFilter)
def bad_filter(request, exc):
    return problem(request, 400, str(exc))


@api.exception_handler(Http404)
def not_found(request, exc):
    return problem(request, 404, _("There is no such resource."))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return problem(
        request, 401, _("Send a live API token of your organisation in the OSDI-API-Token header.")
    )


@api.exception_handler(HttpError)
def http_error(request, exc):
    response = problem(request, exc.status_code, exc.message)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/v1/", petitions.router)
api.add_router("/v1/", advocacy.router)
api.add_router("/v1/", people.router)
api.add_router("/public/", public.router)
