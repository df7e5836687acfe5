import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from outcry.campaigns.models import Comment, goal_for
from outcry.outbox.models import Message
from outcry.signing.models import NameDisplay, Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db

SIGNER = {
    "name": "Ana María Quispe",
    "email": "ana@example.org",
    "country": "PE",
    "postcode": "",
    "name_display": "full",
}


def test_home_lists_open_petitions_and_archive_lists_closed(client):
    open_one = factories.petition(title="Open one")
    closed = factories.petition(title="Closed one", closed_at=timezone.now())
    draft = factories.petition(title="Draft one", published_at=None)
    home = client.get("/en/").content.decode()
    assert open_one.title in home and closed.title not in home and draft.title not in home
    archive = client.get("/en/archive/").content.decode()
    assert closed.title in archive and open_one.title not in archive


def test_root_redirects_by_browser_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.9")
    assert response.status_code == 302 and response["Location"] == "/es/"


def test_petition_page_shows_the_case_letter_target_and_count(client):
    petition = factories.petition(body="Facts **here**.", letter="Dear President Humala,")
    factories.signature(petition=petition)
    apply_count_deltas()
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "<strong>here</strong>" in page
    assert "Dear President Humala," in page
    assert "Ollanta Humala" in page and "President of Peru" in page
    assert "<strong data-count>1</strong>" in page
    assert 'max="100"' in page  # first rung of the ladder


def test_draft_petition_is_not_public(client):
    petition = factories.petition(published_at=None)
    assert client.get(petition.get_absolute_url()).status_code == 404


def test_organiser_markdown_cannot_inject_script(client):
    petition = factories.petition(
        body="<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert "<img src=x" not in page  # left as escaped text, never as markup


@pytest.mark.parametrize(
    ("count", "goal"), [(0, 100), (99, 100), (100, 250), (250, 500), (999, 1000), (2500, 5000)]
)
def test_goal_climbs_the_ladder(count, goal):
    assert goal_for(count) == goal


def test_sign_redirects_to_check_your_email(client):
    petition = factories.petition()
    response = client.post(f"/en/petitions/{petition.slug}/sign/", human(SIGNER, campaign=petition))
    assert response.status_code == 302
    assert response["Location"] == f"/en/petitions/{petition.slug}/thanks/"
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    signature = Signature.objects.get()
    assert (signature.language, signature.country) == ("en", "PE")


def test_signing_twice_looks_exactly_like_signing_once(client):
    petition = factories.petition()
    first = client.post(f"/en/petitions/{petition.slug}/sign/", human(SIGNER, campaign=petition))
    again = client.post(
        f"/en/petitions/{petition.slug}/sign/",
        human(SIGNER, email="ANA+x@example.org", campaign=petition),
    )
    assert (first.status_code, first["Location"]) == (again.status_code, again["Location"])
    assert first.content == again.content
    assert Signature.objects.count() == 1
    assert Message.objects.count() == 2  # the second e-mail goes to the inbox, not the page


def test_sign_form_errors_say_what_to_fix_and_write_nothing(client):
    petition = factories.petition()
    response = client.post(
        f"/en/petitions/{petition.slug}/sign/",
        human(SIGNER, email="not-an-address", name="", campaign=petition),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please enter your name." in page
    assert "Please enter an e-mail address like name@example.org." in page
    assert 'href="#id_email"' in page  # the summary links to the field
    assert not Signature.objects.exists() and not Message.objects.exists()


def test_sign_form_errors_come_in_spanish(client):
    petition = factories.petition()
    response = client.post(
        f"/es/petitions/{petition.slug}/sign/", human(SIGNER, name="", campaign=petition)
    )
    assert response.status_code == 400
    assert 'lang="es"' in response.content.decode()
    assert "Please enter your name." not in response.content.decode()


def test_closed_petition_shows_final_count_and_refuses_sign_post(client):
    petition = factories.petition(deadline=timezone.now() - timedelta(hours=1))
    page = client.get(petition.get_absolute_url()).content.decode()
    assert (
        "This petition is closed" in page
        and 'action="/en/petitions' not in page.split("comments")[0]
    )
    response = client.post(f"/en/petitions/{petition.slug}/sign/", human(SIGNER, campaign=petition))
    assert response.status_code == 403
    assert "closed to new signatures" in response.content.decode()
    assert not Signature.objects.exists()


def test_confirm_link_get_changes_nothing_and_post_confirms(client):
    petition = factories.petition()
    client.post(f"/en/petitions/{petition.slug}/sign/", human(SIGNER, campaign=petition))
    url = Message.objects.get().context["confirm_url"].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + url)
    assert page.status_code == 200 and "Confirm my signature" in page.content.decode()
    assert Signature.objects.get().state == Signature.State.PENDING
    response = client.post("/" + url)
    assert response["Location"] == f"/en/petitions/{petition.slug}/confirmed/"
    assert Signature.objects.get().state == Signature.State.CONFIRMED
    used = client.get("/" + url)
    assert used.status_code == 404 and "no longer works" in used.content.decode()


def test_signer_list_pages_ten_at_a_time_newest_first(client):
    petition = factories.petition()
    now = timezone.now()
    for i in range(25):
        factories.signature(
            petition=petition, name=f"Person Number{i:02d}", confirmed_at=now + timedelta(seconds=i)
        )
    factories.signature(petition=petition, confirmed=False, name="Pending Person")
    apply_count_deltas()
    url = f"/en/petitions/{petition.slug}/signatures/"

    def names(page):
        return re.findall(r"Person Number(\d\d)", page)

    def link(page, rel):
        return html.unescape(re.search(rf'<a href="([^"]+)" rel="{rel}"', page).group(1))

    newest = client.get(url).content.decode()
    assert "25 signatures" in newest and 'name="robots" content="noindex"' in newest
    assert names(newest) == [f"{i:02d}" for i in range(24, 14, -1)]
    assert "Pending Person" not in newest and 'rel="prev"' not in newest
    middle = client.get(url + link(newest, "next")).content.decode()
    assert names(middle) == [f"{i:02d}" for i in range(14, 4, -1)]
    oldest = client.get(url + link(middle, "next")).content.decode()
    assert names(oldest) == ["04", "03", "02", "01", "00"] and 'rel="next"' not in oldest
    # Back up: the page before the oldest is the middle one, then the newest.
    assert names(client.get(url + link(oldest, "prev")).content.decode()) == names(middle)
    assert names(client.get(url + link(middle, "prev")).content.decode()) == names(newest)


def test_signers_confirmed_in_the_same_instant_are_each_listed_once(client):
    petition = factories.petition()
    now = timezone.now()
    for i in range(23):
        factories.signature(petition=petition, name=f"Person Number{i:02d}", confirmed_at=now)
    apply_count_deltas()
    url = f"/en/petitions/{petition.slug}/signatures/"

    def walk(rel, query=""):
        pages = []
        while True:
            page = client.get(url + query).content.decode()
            pages.append(re.findall(r"Person Number(\d\d)", page))
            step = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
            if not step:
                return pages, query
            query = html.unescape(step.group(1))

    down, oldest = walk("next")
    assert sorted(sum(down, [])) == [f"{i:02d}" for i in range(23)]
    assert [len(names) for names in down] == [10, 10, 3]
    # And back up from the oldest page, through the same pages.
    up, _ = walk("prev", oldest)
    assert up == down[::-1]


def test_the_page_past_the_oldest_signer_is_the_newest(client):
    petition = factories.petition()
    now = timezone.now()
    signers = [
        factories.signature(
            petition=petition, name=f"Person Number{i:02d}", confirmed_at=now + timedelta(seconds=i)
        )
        for i in range(15)
    ]
    apply_count_deltas()
    url = f"/en/petitions/{petition.slug}/signatures/"
    newest = client.get(url).content.decode()
    assert client.get(url + f"?before={signers[0].pk}").content.decode() == newest


@pytest.mark.parametrize("query", ["?before=x", "?after=12345678", "?before=\u0662", "?page=9"])
def test_a_signer_list_mark_that_is_not_a_signer_gives_the_newest(client, query):
    petition = factories.petition()
    for i in range(12):
        factories.signature(petition=petition, name=f"Person Number{i:02d}")
    apply_count_deltas()
    url = f"/en/petitions/{petition.slug}/signatures/"
    other = factories.signature(petition=factories.petition(), name="Someone Elsewhere")
    newest = client.get(url).content.decode()
    for q in (query, f"?before={other.pk}"):
        page = client.get(url + q)
        assert page.status_code == 200 and page.content.decode() == newest


def test_signer_list_shows_names_only_as_chosen(client):
    petition = factories.petition()
    factories.signature(petition=petition, name="Rosa Quispe", name_display=NameDisplay.SHORT)
    factories.signature(petition=petition, name="Hidden Person", name_display="anonymous")
    apply_count_deltas()
    page = client.get(f"/en/petitions/{petition.slug}/signatures/").content.decode()
    assert "Rosa Q." in page and "Rosa Quispe" not in page
    assert "Hidden Person" not in page and "Anonymous" in page
    assert "@example.org" not in page


def test_count_json_is_cacheable_and_personal_data_free(client):
    petition = factories.petition()
    factories.signature(petition=petition, email="secret@example.org")
    apply_count_deltas()
    response = client.get(f"/petitions/{petition.slug}/count.json")
    assert response.json() == {
        "slug": petition.slug,
        "signature_count": 1,
        "goal": 100,
        "open": True,
    }
    assert "max-age=5" in response["Cache-Control"]


def test_share_links_and_open_graph_tags(client):
    petition = factories.petition(title="Protect protesters")
    page = client.get(petition.get_absolute_url()).content.decode()
    for host in ("facebook.com/sharer", "x.com/intent/post", "wa.me", "t.me/share", "mailto:?"):
        assert host in page
    assert '<meta property="og:title" content="Protect protesters">' in page
    assert 'name="twitter:card"' in page
    assert '<script src="http' not in page  # no third-party script


def test_country_defaults_from_browser_language(client):
    petition = factories.petition()
    page = client.get(petition.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.8")
    assert '<option value="PE" selected>' in page.content.decode()


def test_comment_is_held_or_shown_as_the_petition_says(client):
    held = factories.petition(comments_premoderated=True)
    shown = factories.petition(comments_premoderated=False)
    data = {"name": "Luis", "email": "luis@example.org", "text": "Because it matters."}
    response = client.post(f"/en/petitions/{held.slug}/comments/", human(data, campaign=held))
    assert response["Location"] == f"/en/petitions/{held.slug}/comments/thanks/"
    assert "Because it matters." not in client.get(held.get_absolute_url()).content.decode()
    Comment.objects.filter(petition=held).update(status=Comment.Status.APPROVED)
    # The page seen a moment ago is cached for PAGE_CACHE_SECONDS; after that it shows.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PAGE_CACHE_SECONDS + 1)):
        assert "Because it matters." in client.get(held.get_absolute_url()).content.decode()
    client.post(f"/en/petitions/{shown.slug}/comments/", human(data, campaign=shown))
    page = client.get(shown.get_absolute_url()).content.decode()
    assert "Because it matters." in page and "luis@example.org" not in page


def test_comment_errors_write_nothing(client):
    petition = factories.petition()
    response = client.post(
        f"/en/petitions/{petition.slug}/comments/", human(name="Luis", campaign=petition)
    )
    assert response.status_code == 400
    assert "Please write your comment." in response.content.decode()
    assert not Comment.objects.exists()


def test_update_shows_on_the_petition_page(client):
    petition = factories.petition()
    petition.updates.create(title="Delivered to the palace", body="We handed it in.")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Delivered to the palace" in page and "We handed it in." in page


def test_country_names_follow_each_requests_language(client):
    petition = factories.petition()
    english = client.get(f"/en/petitions/{petition.slug}/").content.decode()
    spanish = client.get(f"/es/petitions/{petition.slug}/").content.decode()
    assert '<option value="DE">Germany</option>' in english
    assert '<option value="DE">Alemania</option>' in spanish


def test_organiser_markdown_cannot_embed_an_image_from_another_site(client):
    petition = factories.petition(body="Look: ![pixel](https://tracker.example/p.gif)")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "tracker.example" not in page.split("<footer")[0].split('class="prose"')[1]


def test_country_select_marks_the_chosen_country_and_keeps_field_attributes(client):
    petition = factories.petition()
    response = client.post(f"/en/petitions/{petition.slug}/sign/", {"country": "CL", "name": ""})
    page = response.content.decode()
    assert '<option value="CL" selected>Chile</option>' in page
    assert page.count(" selected>") >= 1 and '<option value="" selected>' not in page
    assert 'id="id_country" required' in page or 'required id="id_country"' in page
