"""Atom feeds: the campaigns, a petition's updates, an urgent action's follow-ups.

Feeds are per language (under /en/, /es/): titles and links in the reader's
language, each entry marked with the language its text is written in. They hold
what the public pages show of a campaign and nothing about any signer, so a
shared cache may keep them for a few minutes (and answer conditional GETs).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page

from outcry.actions.models import UrgentAction
from outcry.campaigns.models import Petition
from outcry.campaigns.templatetags.outcry import markdown

ENTRIES = 30
MAX_AGE = 300  # seconds a cache may serve a feed without asking again


def absolute(path: str) -> str:
    # SITE_URL rather than the request's host: behind a proxy the two may differ.
    return settings.SITE_URL + path


class LanguageTaggedAtom(Atom1Feed):
    """Atom whose entries say the language of their text (`xml:lang`)."""

    def item_attributes(self, item):
        attrs = super().item_attributes(item)
        if item.get("text_language"):
            attrs["xml:lang"] = item["text_language"]
        return attrs


class AtomFeed(Feed):
    feed_type = LanguageTaggedAtom

    def author_name(self):
        return settings.SITE_NAME

    def item_author_name(self, item):
        return item.organisation.name

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at


class Campaigns(AtomFeed):
    def title(self):
        return _("%(site)s: petitions and urgent actions") % {"site": settings.SITE_NAME}

    def subtitle(self):
        return _("New campaigns for human rights, newest first.")

    def link(self):
        return absolute(reverse("home"))

    def feed_url(self):
        return absolute(reverse("campaigns_feed"))

    def items(self):
        now = timezone.now()
        petitions = (
            Petition.objects.published(now)
            .filter(archived_at__isnull=True)
            .select_related("organisation")[:ENTRIES]
        )
        actions = (
            UrgentAction.objects.published(now)
            .filter(archived_at__isnull=True)
            .select_related("organisation")[:ENTRIES]
        )
        campaigns = [*petitions, *actions]
        campaigns.sort(key=lambda c: (c.published_at, c.pk), reverse=True)
        return campaigns[:ENTRIES]

    def item_title(self, item):
        if isinstance(item, Petition):
            return item.title
        return f"{item.number}: {item.headline}"

    def item_description(self, item):
        return item.goal if isinstance(item, Petition) else item.summary

    def item_categories(self, item):
        return [_("Petition") if isinstance(item, Petition) else _("Urgent action")]

    def item_extra_kwargs(self, item):
        # An urgent action's text has no language field of its own; a petition's does.
        return {"text_language": item.language if isinstance(item, Petition) else ""}


class PetitionUpdates(AtomFeed):
    def get_object(self, request, slug):
        return get_object_or_404(
            Petition.objects.published().select_related("organisation"), slug=slug
        )

    def title(self, petition):
        return _("Updates on “%(title)s”") % {"title": petition.title}

    def link(self, petition):
        return absolute(petition.get_absolute_url())

    def feed_url(self, petition):
        return absolute(reverse("petition_feed", args=[petition.slug]))

    def items(self, petition):
        return petition.updates.filter(published_at__lte=timezone.now()).select_related(
            "petition__organisation"
        )[:ENTRIES]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return markdown(item.body)

    def item_link(self, item):
        return absolute(item.petition.get_absolute_url()) + f"#update-{item.pk}"

    def item_author_name(self, item):
        return item.petition.organisation.name

    def item_extra_kwargs(self, item):
        return {"text_language": item.petition.language}


class CaseUpdates(AtomFeed):
    """An urgent action and every action that follows it up, newest first."""

    def get_object(self, request, serial, year):
        return get_object_or_404(
            UrgentAction.objects.published().select_related("organisation"),
            serial=serial,
            year=year,
        )

    def title(self, action):
        return _("%(number)s and its follow-ups") % {"number": action.number}

    def link(self, action):
        return absolute(action.get_absolute_url())

    def feed_url(self, action):
        return absolute(reverse("action_feed", args=[action.serial, action.year]))

    def items(self, action):
        now = timezone.now()
        published = [a for a in action.chain() if a.published_at and a.published_at <= now]
        return published[::-1][:ENTRIES]

    def item_title(self, item):
        return f"{item.number}: {item.headline}"

    def item_description(self, item):
        return item.summary


def _cacheable(feed):
    return cache_control(public=True, max_age=MAX_AGE)(conditional_page(feed))


campaigns = _cacheable(Campaigns())
petition_updates = _cacheable(PetitionUpdates())
case_updates = _cacheable(CaseUpdates())
