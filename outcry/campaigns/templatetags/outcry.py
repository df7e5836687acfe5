from urllib.parse import quote

import nh3
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_countries import countries
from markdown_it import MarkdownIt

register = template.Library()

# "js-default" leaves raw HTML out; nh3 then cleans what Markdown itself produced.
_markdown = MarkdownIt("js-default")


@register.filter
def markdown(text: str) -> str:
    html = _markdown.render(text or "")
    # No <img>: an image from another site would be a third-party request from our page.
    clean = nh3.clean(
        html, tags=nh3.ALLOWED_TAGS - {"img"}, link_rel="noopener noreferrer nofollow"
    )
    return mark_safe(clean)  # noqa: S308


@register.inclusion_tag("campaigns/_share.html")
def share_links(url: str, text: str):
    """Plain share links: no third-party script runs and nothing is fetched from anyone."""
    u, t = quote(url, safe=""), quote(text, safe="")
    return {
        "url": url,
        "text": text,
        "links": [
            ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
            ("X", f"https://x.com/intent/post?text={t}&url={u}"),
            ("WhatsApp", f"https://wa.me/?text={t}%20{u}"),
            ("Telegram", f"https://t.me/share/url?url={u}&text={t}"),
            (_("E-mail"), f"mailto:?subject={t}&body={t}%0A%0A{u}"),
        ],
    }


@register.filter
def greeting(target, language: str) -> str:
    return target.greeting(language)


@register.filter
def country_name(code: str) -> str:
    return countries.name(code) or code
