"""Two-factor authentication: set up with a QR code, a code after the password,
codes used once, recovery codes, turning it off, and who has it on."""

import io
import re
import time

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from outcry.campaigns.models import Role
from outcry.organiser import twofactor
from outcry.organiser.models import AuditEntry, RecoveryCode, TwoFactor
from outcry.privacy.fields import fernet
from tests import factories
from tests.workers import drain_in_parallel

pytestmark = pytest.mark.django_db

LOGIN = "/en/organiser/login/"
CODE = "/en/organiser/login/code/"
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def owner(org):
    return factories.user(org=org, role=Role.OWNER, username="olga")


@pytest.fixture
def mid_step():
    """Time stands still 10 s into a 30-s step, so a code stays the current one."""
    with time_machine.travel(int(time.time()) // 30 * 30 + 10, tick=False):
        yield


def turn_on(client, org, user) -> tuple[str, list[str]]:
    """Set it up through the pages, as a person does; return the secret and the codes."""
    client.force_login(user)
    page = client.get(f"/en/organiser/{org.slug}/account/two-factor/")
    assert page.status_code == 200
    secret = page.context["secret"].replace(" ", "")
    response = client.post(
        f"/en/organiser/{org.slug}/account/two-factor/",
        {"code": pyotp.TOTP(secret).now(), "action": "on"},
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    client.logout()
    return secret, codes


def step_later(seconds=30):
    return time_machine.travel(time.time() + seconds, tick=False)


def test_the_setup_page_shows_the_qr_code_and_the_key_and_keeps_them_on_reload(client, org, owner):
    client.force_login(owner)
    url = f"/en/organiser/{org.slug}/account/two-factor/"
    first, again = client.get(url), client.get(url)
    page = first.content.decode()
    assert "<svg" in page and "QR code for your authenticator app" in page
    assert first.context["secret"] == again.context["secret"]
    assert first["Cache-Control"].count("no-store") == 1
    assert not TwoFactor.objects.exists()


def test_turning_on_needs_a_right_code_and_shows_recovery_codes_once(client, org, owner, mid_step):
    client.force_login(owner)
    url = f"/en/organiser/{org.slug}/account/two-factor/"
    secret = client.get(url).context["secret"].replace(" ", "")
    wrong = client.post(url, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "1"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert not TwoFactor.objects.exists()
    response = client.post(url, {"code": pyotp.TOTP(secret).now(), "action": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert TwoFactor.objects.get(user=owner).secret == secret
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}
    assert AuditEntry.objects.get(organisation=org).verb == "turned on two-factor authentication"
    # Afterwards the page says it is on, and shows neither key nor codes again.
    after = client.get(url)
    assert "Two-factor authentication is on" in after.content.decode()
    assert "codes" not in after.context and "secret" not in after.context


def test_login_asks_for_the_code_before_the_session_is_logged_in(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    with step_later():
        dashboard = f"/en/organiser/{org.slug}/"
        response = client.post(
            LOGIN + f"?next={dashboard}", {"username": "olga", "password": PASSWORD}
        )
        assert response.status_code == 302 and response["Location"] == CODE
        assert "_auth_user_id" not in client.session
        assert client.get(dashboard).status_code == 302  # still a visitor
        assert "authenticator app" in client.get(CODE).content.decode()
        wrong = client.post(CODE, {"code": "12345"})
        assert wrong.status_code == 400 and "_auth_user_id" not in client.session
        response = client.post(CODE, {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302 and response["Location"] == dashboard
        assert client.session["_auth_user_id"] == str(owner.pk)
        assert client.get(dashboard).status_code == 200


def test_a_code_never_logs_in_twice(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    with step_later():
        code = pyotp.TOTP(secret).now()
        client.post(LOGIN, {"username": "olga", "password": PASSWORD})
        assert client.post(CODE, {"code": code}).status_code == 302
        client.logout()
        client.post(LOGIN, {"username": "olga", "password": PASSWORD})
        replay = client.post(CODE, {"code": code})
        assert replay.status_code == 400 and "_auth_user_id" not in client.session
        # Nor does the code of the step before, once a newer one was used.
        earlier = pyotp.TOTP(secret).at(time.time() - 30)
        assert client.post(CODE, {"code": earlier}).status_code == 400


def test_the_setup_code_cannot_log_in_again(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    assert client.post(CODE, {"code": pyotp.TOTP(secret).now()}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_code_let_in_only_one(org, owner, mid_step):
    secret = pyotp.random_base32()
    TwoFactor.objects.create(user=owner, secret=secret)
    code, tries = pyotp.TOTP(secret).now(), iter(range(8))
    results = []

    def job():
        if next(tries, None) is None:
            return 0
        results.append(twofactor.verify(user=owner, code=code))
        return 1

    drain_in_parallel(job, workers=4)
    assert sorted(results) == [""] * 7 + [twofactor.TOTP]


def test_a_recovery_code_logs_in_once_and_the_owners_see_it(client, org, owner, mid_step):
    _, codes = turn_on(client, org, owner)
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    response = client.post(CODE, {"code": codes[3].upper().replace("-", " ")}, follow=True)
    assert response.redirect_chain[0][0] == "/en/organiser/"
    assert "9 are left" in response.content.decode()
    assert AuditEntry.objects.filter(organisation=org, verb="used a recovery code").count() == 1
    client.logout()
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    assert client.post(CODE, {"code": codes[3]}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_code_step_is_limited_per_account(client, settings, org, owner, mid_step):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_code": (3, 900)}
    secret, _ = turn_on(client, org, owner)
    with step_later():
        client.post(LOGIN, {"username": "olga", "password": PASSWORD})
        assert [client.post(CODE, {"code": "111111"}).status_code for _ in range(3)] == [400] * 3
        # From another address, and with the right code: still refused until the window ends.
        limited = client.post(CODE, {"code": pyotp.TOTP(secret).now()}, REMOTE_ADDR="198.51.100.7")
        assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
        assert "Too many wrong codes" in limited.content.decode()
        assert "_auth_user_id" not in client.session
    with step_later(900):
        client.post(LOGIN, {"username": "olga", "password": PASSWORD})
        assert client.post(CODE, {"code": pyotp.TOTP(secret).now()}).status_code == 302


def test_a_login_left_at_the_code_step_expires(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    with step_later(301):
        response = client.post(CODE, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_first_goes_back_to_login(client):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(CODE, {"code": "123456"})["Location"] == LOGIN


def test_the_code_step_speaks_spanish(client, org, owner, mid_step):
    turn_on(client, org, owner)
    client.post("/es/organiser/login/", {"username": "olga", "password": PASSWORD})
    page = client.post("/es/organiser/login/code/", {"code": "111111"}).content.decode()
    assert '<html lang="es">' in page
    assert "Ese código no es correcto" in page


def test_turning_off_needs_a_code_and_is_audited(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    client.force_login(owner)
    url = f"/en/organiser/{org.slug}/account/two-factor/"
    with step_later():
        assert client.post(url, {"code": "", "action": "off"}).status_code == 400
        assert client.post(url, {"code": "222222", "action": "off"}).status_code == 400
        assert TwoFactor.objects.filter(user=owner).exists()
        response = client.post(url, {"code": pyotp.TOTP(secret).now(), "action": "off"})
    assert response.status_code == 302
    assert not TwoFactor.objects.exists() and not RecoveryCode.objects.exists()
    assert AuditEntry.objects.filter(
        organisation=org, verb="turned off two-factor authentication"
    ).exists()
    client.logout()
    assert client.post(LOGIN, {"username": "olga", "password": PASSWORD})["Location"] == (
        "/en/organiser/"
    )


def test_new_recovery_codes_replace_the_old_ones(client, org, owner, mid_step):
    _, old = turn_on(client, org, owner)
    client.force_login(owner)
    url = f"/en/organiser/{org.slug}/account/two-factor/"
    response = client.post(url, {"code": old[0], "action": "renew"})
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 10
    client.logout()
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    assert client.post(CODE, {"code": old[1]}).status_code == 400
    assert client.post(CODE, {"code": new[1]}).status_code == 302


def test_the_members_page_says_who_has_two_factor_on(client, org, owner, mid_step):
    editor = factories.user(org=org, role=Role.EDITOR, username="eddie")
    turn_on(client, org, editor)
    client.force_login(owner)
    page = client.get(f"/en/organiser/{org.slug}/members/").content.decode()
    rows = {
        name: re.search(rf"<th scope=\"row\">{name}</th>.*?</tr>", page, re.S).group(0)
        for name in ("eddie", "olga")
    }
    assert "<td>On</td>" in rows["eddie"] and "<td>Off</td>" in rows["olga"]


def test_the_admin_login_goes_through_the_organiser_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/organiser/login/?next=/admin/login/")
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302


def raw_secret(user) -> str:
    """The secret's column as the database stores it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM organiser_twofactor WHERE user_id = %s", [user.pk])
        return cursor.fetchone()[0]


def logs_in_with_a_code(client, secret) -> bool:
    client.logout()
    client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    return client.post(CODE, {"code": pyotp.TOTP(secret).now()}).status_code == 302


def test_the_secret_is_encrypted_at_rest_and_codes_still_log_in(client, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    stored = raw_secret(owner)
    # A dump holds no base32 secret that could mint codes: only a Fernet token.
    assert secret not in stored and not re.fullmatch(r"[A-Z2-7]{16,}=*", stored)
    assert fernet().decrypt(stored.encode()).decode() == secret
    with step_later():
        assert logs_in_with_a_code(client, secret)


def test_rotating_keys_reencrypts_the_secret(client, settings, org, owner, mid_step):
    secret, _ = turn_on(client, org, owner)
    before = raw_secret(owner)
    old, new = settings.ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate-keys", stdout=out)
    assert "organiser_twofactor: 1 rows re-encrypted" in out.getvalue()
    after = raw_secret(owner)
    assert after != before and Fernet(new).decrypt(after.encode()).decode() == secret
    settings.ENCRYPTION_KEYS = [new]  # the old key is no longer needed
    with step_later():
        assert logs_in_with_a_code(client, secret)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_secrets_stored_before_encryption(client, mid_step):
    from django.db.migrations.executor import MigrationExecutor

    before = [("organiser", "0002_two_factor_authentication")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    org = factories.organisation()
    owner = factories.user(org=org, role=Role.OWNER, username="olga")
    secret = twofactor.new_secret()
    old = executor.loader.project_state(before).apps
    old.get_model("organiser", "TwoFactor").objects.create(user_id=owner.pk, secret=secret)
    assert raw_secret(owner) == secret

    MigrationExecutor(connection).migrate(latest)

    assert secret not in raw_secret(owner)
    assert TwoFactor.objects.get(user=owner).secret == secret
    with step_later():
        assert logs_in_with_a_code(client, secret)
