"""The 503 page itself: which errors it answers, that it needs no query, its language."""

import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from outcry.campaigns.errors import DatabaseUnavailableMiddleware

middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("database is locked"),
        OperationalError("connection refused"),
        InterfaceError("connection already closed"),
    ],
    ids=["locked", "refused", "closed"],
)
def test_database_that_cannot_answer_gets_a_503_without_a_single_query(error):
    # No django_db mark: opening a connection or running a query fails this test.
    request = RequestFactory().post("/en/petitions/x/sign/")
    response = middleware.process_exception(request, error)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert '<html lang="en">' in response.content.decode()
    assert "Please try again in a moment" in response.content.decode()


def test_unavailable_page_speaks_the_visitors_language():
    with translation.override("es"):
        response = middleware.process_exception(
            RequestFactory().get("/es/"), OperationalError("database is locked")
        )
    assert "Espere unos segundos" in response.content.decode()


@pytest.mark.parametrize(
    "error", [IntegrityError("duplicate"), DatabaseError("syntax"), ValueError("bug")]
)
def test_other_errors_are_left_to_the_usual_500(error):
    # A constraint or a bug will not fix itself in five seconds: no Retry-After for it.
    assert middleware.process_exception(RequestFactory().get("/"), error) is None
