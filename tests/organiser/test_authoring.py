import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from outcry.actions.models import CaseTarget, UrgentAction
from outcry.campaigns.models import Petition, PetitionRevision, Role
from outcry.organiser.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org = factories.organisation()
    user = factories.user(org=org, role=Role.EDITOR)
    client.force_login(user)
    client.org, client.user = org, user
    client.base = f"/en/organiser/{org.slug}"
    return client


def petition_data(target, **overrides):
    data = {
        "title": "Free the Lima 18",
        "slug": "free-the-lima-18",
        "goal": "Release the protesters",
        "target": target.pk,
        "language": "en",
        "body": "They did **nothing** wrong.",
        "letter": "Dear President,\n\nRelease them.",
        "image_alt": "",
        "image_credit": "",
        "published_at": "",
        "deadline": "",
        "lock_threshold": "100",
        "comments_premoderated": "on",
    }
    data.update(overrides)
    return data


def edit_data(petition, **overrides):
    data = petition_data(
        petition.target,
        title=petition.title,
        slug=petition.slug,
        goal=petition.goal,
        body=petition.body,
        letter=petition.letter,
        published_at=timezone.localtime(petition.published_at).strftime("%Y-%m-%dT%H:%M"),
        lock_threshold=str(petition.lock_threshold),
    )
    data.update(overrides)
    return data


def image_file(fmt="PNG", name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_editor_creates_a_petition_for_a_directory_target_scheduled_for_later(editor, client):
    target = factories.target(org=editor.org, name="Dina Boluarte")
    at = timezone.now() + timedelta(days=2)
    response = editor.post(
        f"{editor.base}/petitions/new/",
        petition_data(target, published_at=timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    petition = Petition.objects.get(slug="free-the-lima-18")
    assert (petition.organisation, petition.target) == (editor.org, target)
    assert AuditEntry.objects.filter(verb="created petition", user=editor.user).exists()
    assert client.get("/en/petitions/free-the-lima-18/").status_code == 404
    assert "Free the Lima 18" not in client.get("/en/").content.decode()
    with time_machine.travel(at + timedelta(minutes=1)):
        page = client.get("/en/petitions/free-the-lima-18/")
        assert page.status_code == 200
        assert "<strong>nothing</strong>" in page.content.decode()
        assert "Free the Lima 18" in client.get("/en/").content.decode()


def test_a_target_from_another_organisation_is_refused(editor):
    theirs = factories.target(org=factories.organisation())
    response = editor.post(f"{editor.base}/petitions/new/", petition_data(theirs))
    assert response.status_code == 400
    assert "Please choose a target from the directory." in response.content.decode()
    assert not Petition.objects.exists()


def test_editing_an_unlocked_petition_saves_without_a_revision(editor):
    petition = factories.petition(org=editor.org)
    response = editor.post(
        f"{editor.base}/petitions/{petition.pk}/edit/", edit_data(petition, title="Better title")
    )
    assert response.status_code == 302
    assert Petition.objects.get(pk=petition.pk).title == "Better title"
    assert not PetitionRevision.objects.exists()
    assert AuditEntry.objects.filter(verb="edited petition", subject="Better title").exists()


def test_preview_returns_sanitised_html(editor):
    response = editor.post(
        f"{editor.base}/preview/",
        {"text": "**bold** <script>alert(1)</script>\n\n[x](javascript:alert(1))"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "href" not in html
    assert editor.get(f"{editor.base}/preview/").status_code == 405


def test_preview_button_without_javascript_renders_and_saves_nothing(editor):
    petition = factories.petition(org=editor.org)
    response = editor.post(
        f"{editor.base}/petitions/{petition.pk}/edit/",
        edit_data(petition, body="A *new* case", preview="1"),
    )
    assert response.status_code == 200
    assert "<em>new</em>" in response.content.decode()
    assert Petition.objects.get(pk=petition.pk).body == petition.body


@pytest.mark.parametrize(
    ("upload", "alt", "message"),
    [
        (lambda: image_file("GIF", "photo.gif"), "A march", "Please upload a JPEG, PNG or WebP"),
        (
            lambda: SimpleUploadedFile("photo.png", b"not an image at all"),
            "A march",
            "Please upload a JPEG, PNG or WebP",
        ),
        (
            lambda: SimpleUploadedFile("huge.png", b"\0" * (5 * 1024 * 1024 + 1)),
            "A march",
            "Please upload an image of 5 MB at most",
        ),
        (lambda: image_file(), "", "Please describe the image"),
    ],
    ids=["gif", "not-an-image", "too-large", "no-alt"],
)
def test_image_upload_errors_say_what_to_fix(editor, upload, alt, message):
    target = factories.target(org=editor.org)
    response = editor.post(
        f"{editor.base}/petitions/new/", petition_data(target, image=upload(), image_alt=alt)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Petition.objects.exists()


def test_image_with_alt_text_and_credit_is_stored(editor):
    target = factories.target(org=editor.org)
    response = editor.post(
        f"{editor.base}/petitions/new/",
        petition_data(
            target,
            image=image_file("WEBP", "march.webp"),
            image_alt="People marching in Lima",
            image_credit="Photo: Ana Díaz",
        ),
    )
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.image.name.startswith("petitions/") and petition.image.size > 0
    assert (petition.image_alt, petition.image_credit) == (
        "People marching in Lima",
        "Photo: Ana Díaz",
    )


@pytest.fixture
def locked(editor):
    petition = factories.petition(org=editor.org, title="Stop the killings")
    Petition.objects.filter(pk=petition.pk).update(signature_count=100)
    petition.refresh_from_db()
    return petition


def test_locked_title_change_is_refused_without_the_material_change_tick(editor, locked):
    response = editor.post(
        f"{editor.base}/petitions/{locked.pk}/edit/", edit_data(locked, title="Something else")
    )
    assert response.status_code == 400
    assert "Signers agreed to this title, target and letter." in response.content.decode()
    assert Petition.objects.get(pk=locked.pk).title == "Stop the killings"
    assert not PetitionRevision.objects.exists()


def test_material_change_needs_a_public_note(editor, locked):
    response = editor.post(
        f"{editor.base}/petitions/{locked.pk}/edit/",
        edit_data(locked, title="Something else", material_change="on", change_note=" "),
    )
    assert response.status_code == 400
    assert "Please write the public note" in response.content.decode()
    assert Petition.objects.get(pk=locked.pk).title == "Stop the killings"


def test_material_change_with_a_note_saves_a_revision_shown_on_the_public_page(
    editor, locked, client
):
    new_target = factories.target(org=editor.org, name="Gustavo Adrianzén")
    response = editor.post(
        f"{editor.base}/petitions/{locked.pk}/edit/",
        edit_data(
            locked,
            title="Stop the killings now",
            target=new_target.pk,
            material_change="on",
            change_note="The minister is now responsible.",
        ),
    )
    assert response.status_code == 302
    petition = Petition.objects.get(pk=locked.pk)
    assert (petition.title, petition.target) == ("Stop the killings now", new_target)
    revision = PetitionRevision.objects.get(petition=petition)
    assert (revision.title, revision.letter, revision.changed_by) == (
        "Stop the killings",
        locked.letter,
        editor.user,
    )
    assert revision.target_name.startswith("Ollanta Humala")
    assert AuditEntry.objects.filter(verb="material change").exists()
    page = client.get(f"/en/petitions/{petition.slug}/").content.decode()
    assert "Changes to this petition" in page
    assert "The minister is now responsible." in page
    assert "Stop the killings</dd>" in page


def test_locked_petition_still_takes_other_edits_and_keeps_its_threshold(editor, locked):
    response = editor.post(
        f"{editor.base}/petitions/{locked.pk}/edit/",
        edit_data(locked, goal="A clearer goal", lock_threshold="100000"),
    )
    assert response.status_code == 302
    petition = Petition.objects.get(pk=locked.pk)
    assert (petition.goal, petition.lock_threshold) == ("A clearer goal", 100)
    assert not PetitionRevision.objects.exists()


def test_close_then_archive_moves_a_petition_off_the_public_lists(editor, client):
    petition = factories.petition(org=editor.org, title="Closing soon")
    editor.post(f"{editor.base}/petitions/{petition.pk}/close/")
    assert Petition.objects.get(pk=petition.pk).closed_at is not None
    assert (
        "This petition is closed" in client.get(f"/en/petitions/{petition.slug}/").content.decode()
    )
    assert "Closing soon" not in client.get("/en/").content.decode()
    assert "Closing soon" in client.get("/en/archive/").content.decode()
    editor.post(f"{editor.base}/petitions/{petition.pk}/archive/")
    assert "Closing soon" not in client.get("/en/archive/").content.decode()
    assert client.get(f"/en/petitions/{petition.slug}/").status_code == 200
    assert {"closed petition", "archived petition"} <= set(
        AuditEntry.objects.values_list("verb", flat=True)
    )


def action_data(targets, **overrides):
    data = {
        "serial": "7",
        "year": "2024",
        "follows": "",
        "headline": "Defenders detained",
        "country": "PE",
        "people_at_risk": "Two defenders",
        "pronouns": "",
        "summary": "Two defenders were detained.",
        "preferred_language": "es",
        "take_action": "Write *today*.",
        "background": "",
        "image_alt": "",
        "image_credit": "",
        "published_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "deadline": "",
        "status": "open",
        "targets-TOTAL_FORMS": "3",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    for i, (target, group) in enumerate(targets):
        data[f"targets-{i}-target"] = target.pk
        data[f"targets-{i}-group"] = group
    for i in range(len(targets), 3):
        data[f"targets-{i}-target"] = ""
        data[f"targets-{i}-group"] = "target"
    for lang in ("en", "es"):
        for field in ("subject", "body", "call_script"):
            data[f"letter-{lang}-{field}"] = ""
    data.update(overrides)
    return data


def test_urgent_action_with_targets_in_two_groups_and_letters_in_two_languages(editor, client):
    minister = factories.target(org=editor.org, name="Minister of Justice")
    embassy = factories.target(org=editor.org, name="Ambassador of Peru")
    response = editor.post(
        f"{editor.base}/actions/new/",
        action_data(
            [(minister, "target"), (embassy, "copy")],
            **{
                "letter-es-subject": "Liberen a los defensores",
                "letter-es-body": "Le pido que los libere.",
                "letter-en-subject": "Release the defenders",
                "letter-en-body": "I ask you to release them.",
                "letter-en-call_script": "Please release them.",
            },
        ),
    )
    assert response.status_code == 302
    action = UrgentAction.objects.get(serial=7, year=2024)
    groups = {link.target: link.group for link in CaseTarget.objects.filter(action=action)}
    assert groups == {minister: "target", embassy: "copy"}
    letters = {x.language: x for x in action.letters.all()}
    assert set(letters) == {"en", "es"}
    assert letters["en"].call_script == "Please release them."
    page = client.get("/en/actions/ua-7-2024/").content.decode()
    assert "Minister of Justice" in page and "Ambassador of Peru" in page


def test_urgent_action_errors_write_nothing(editor):
    minister = factories.target(org=editor.org)
    response = editor.post(
        f"{editor.base}/actions/new/",
        action_data(
            [(minister, "copy")], **{"letter-es-subject": "Sin carta", "letter-es-body": ""}
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please choose at least one target to write to." in html
    assert "Please write the letter, or clear its subject." in html
    assert not UrgentAction.objects.exists()


def test_urgent_action_number_must_be_unique_in_the_organisation(editor):
    factories.urgent_action(org=editor.org, serial=7, year=2024)
    minister = factories.target(org=editor.org)
    response = editor.post(f"{editor.base}/actions/new/", action_data([(minister, "target")]))
    assert response.status_code == 400
    assert "Another urgent action already has this number" in response.content.decode()


def test_closing_an_urgent_action_needs_an_outcome_and_archiving_hides_it(editor, client):
    action = factories.urgent_action(org=editor.org, headline="Journalist detained")
    url = f"{editor.base}/actions/{action.pk}/"
    assert editor.post(url + "close/", {"outcome": ""}).status_code == 400
    assert UrgentAction.objects.get(pk=action.pk).status == "open"
    assert editor.post(url + "close/", {"outcome": "Released on 3 May"}).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome) == ("closed", "Released on 3 May")
    assert not action.takes_letters()
    assert "Journalist detained" in client.get("/en/archive/").content.decode()
    editor.post(url + "archive/")
    assert "Journalist detained" not in client.get("/en/archive/").content.decode()
    assert client.get(action.get_absolute_url()).status_code == 200


def test_target_directory_keeps_salutations_per_language_and_checks_emails(editor):
    base = {
        "name": "Dina Boluarte",
        "role": "President of Peru",
        "institution": "",
        "country": "PE",
        "language": "es",
        "postal_address": "",
        "fax": "",
        "contact_form_url": "",
        "phones_text": "",
        "salutation_en": "Dear Madam President,",
        "salutation_es": "Señora Presidenta:",
    }
    bad = editor.post(f"{editor.base}/targets/", {**base, "emails_text": "not-an-address"})
    assert bad.status_code == 400
    assert "is not an e-mail address" in bad.content.decode()
    response = editor.post(
        f"{editor.base}/targets/", {**base, "emails_text": "despacho@presidencia.example\n"}
    )
    assert response.status_code == 302
    target = editor.org.targets.get()
    assert target.salutations == {"en": "Dear Madam President,", "es": "Señora Presidenta:"}
    assert target.emails == ["despacho@presidencia.example"]
    assert target.greeting("es") == "Señora Presidenta:"


def test_moderator_cannot_author(client):
    org = factories.organisation()
    petition = factories.petition(org=org)
    client.force_login(factories.user(org=org, role=Role.MODERATOR))
    assert client.get(f"/en/organiser/{org.slug}/petitions/new/").status_code == 404
    response = client.post(f"/en/organiser/{org.slug}/petitions/{petition.pk}/close/")
    assert response.status_code == 404
    assert Petition.objects.get(pk=petition.pk).closed_at is None


def test_editing_an_urgent_action_replaces_targets_and_drops_a_cleared_letter(editor):
    first, second = factories.target(org=editor.org), factories.target(org=editor.org, name="B")
    action = factories.urgent_action(org=editor.org, targets=[first], serial=9, year=2024)
    response = editor.post(
        f"{editor.base}/actions/{action.pk}/edit/",
        action_data(
            [(second, "target"), (first, "copy")],
            serial="9",
            **{"letter-en-subject": "Stop the force", "letter-en-body": "I ask you to act."},
        ),
    )
    assert response.status_code == 302
    links = CaseTarget.objects.filter(action=action).order_by("group")
    assert [(x.target, x.group) for x in links] == [(first, "copy"), (second, "target")]
    assert list(action.letters.values_list("language", flat=True)) == ["en"]
    assert AuditEntry.objects.filter(verb="edited urgent action").exists()


def test_the_organiser_sets_the_robot_check_work_factor(editor, client, settings):
    target = factories.target(org=editor.org)
    published = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    data = petition_data(target, published_at=published, altcha_max_number="200000")
    assert editor.post(f"{editor.base}/petitions/new/", data).status_code == 302
    petition = Petition.objects.get(slug="free-the-lima-18")
    assert petition.altcha_max_number == 200_000
    challenge = client.get(f"/robot-check/petition/{petition.pk}/challenge.json").json()
    assert challenge["parameters"]["data"]["max"] == 200_000
    # Left empty on an edit, it stays what it was.
    edit = edit_data(petition, altcha_max_number="")
    assert editor.post(f"{editor.base}/petitions/{petition.pk}/edit/", edit).status_code == 302
    assert Petition.objects.get(pk=petition.pk).altcha_max_number == 200_000
    form = editor.get(f"{editor.base}/petitions/{petition.pk}/edit/").content.decode()
    assert 'name="altcha_max_number"' in form and "unusual load" in form


def test_a_new_campaign_starts_with_the_default_work_factor(editor, settings):
    settings.ALTCHA_MAX_NUMBER = 40_000
    target = factories.target(org=editor.org)
    assert editor.post(f"{editor.base}/petitions/new/", petition_data(target)).status_code == 302
    assert Petition.objects.get().altcha_max_number == 40_000
    minister = factories.target(org=editor.org)
    response = editor.post(
        f"{editor.base}/actions/new/",
        action_data(
            [(minister, "target")],
            altcha_max_number="123456",
            **{"letter-es-subject": "Liberen", "letter-es-body": "Le pido que los libere."},
        ),
    )
    assert response.status_code == 302
    assert UrgentAction.objects.get().altcha_max_number == 123_456


@pytest.mark.parametrize("value", ["5", "5000001", "-1", "many"])
def test_a_work_factor_out_of_bounds_is_a_form_error(editor, value):
    target = factories.target(org=editor.org)
    data = petition_data(target, altcha_max_number=value)
    response = editor.post(f"{editor.base}/petitions/new/", data)
    assert response.status_code == 400
    assert "robot-check work factor" in response.content.decode().lower()
    assert not Petition.objects.exists()


def test_the_database_keeps_the_work_factor_in_bounds():
    from django.db import IntegrityError, transaction

    petition, action = factories.petition(), factories.urgent_action()
    for model, pk in ((Petition, petition.pk), (UrgentAction, action.pk)):
        for value in (0, 9, 5_000_001):
            with pytest.raises(IntegrityError), transaction.atomic():
                model.objects.filter(pk=pk).update(altcha_max_number=value)
