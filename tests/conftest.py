import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def _static_files(django_db_setup):
    """Pages use the production (manifest) static storage, so collect once per run."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in Spanish leaves Spanish active in the thread; start each test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Test users need no slow hash; production keeps Django's default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _small_work_factor(settings):
    """Campaigns made in tests ask for little proof-of-work, so solving it is quick."""
    settings.ALTCHA_MAX_NUMBER = 1000
