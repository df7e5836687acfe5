import pytest

from outcry.api.services import create_token
from tests import factories


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def owner(org):
    return factories.user(org=org)


@pytest.fixture
def read_token(org, owner):
    return create_token(organisation=org, name="CRM", scope="read", by=owner)[1]


@pytest.fixture
def write_token(org, owner):
    return create_token(organisation=org, name="Forms", scope="write", by=owner)[1]


@pytest.fixture
def api(client):
    """GET and POST with a token, as an integrator would."""

    class Api:
        def get(self, path, token, **params):
            return client.get(path, params, headers={"OSDI-API-Token": token})

        def post(self, path, token, body):
            return client.post(
                path, body, content_type="application/json", headers={"OSDI-API-Token": token}
            )

    return Api()
