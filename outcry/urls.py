from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.static import serve

from outcry.actions import views as actions
from outcry.api.api import api
from outcry.campaigns import embeds, feeds
from outcry.campaigns import views as campaigns
from outcry.guard import views as guard
from outcry.guard.limits import rate_limited
from outcry.organiser import accounts
from outcry.organiser import views as organiser
from outcry.outbox import views as outbox
from outcry.privacy import views as privacy
from outcry.signing import views as signing

admin.site.site_header = admin.site.site_title = f"{settings.SITE_NAME} organisers"
# One way in: the admin's own login form would skip the per-user-name limit and the
# two-factor code, so it sends visitors to the organiser login and back.
admin.site.login = login_required(admin.site.login, login_url="organiser_login")

urlpatterns = [
    path("admin/", admin.site.urls),
    # OSDI resources, public JSON and the OpenAPI schema; no language prefix.
    path("api/", api.urls),
    path("petitions/<slug:slug>/count.json", campaigns.count_json, name="count_json"),
    # The robot check's challenges, JSON in no language (outcry.guard.challenges).
    re_path(
        r"^robot-check/(?P<kind>petition|action)/(?P<pk>[0-9]+)/challenge\.json$",
        guard.challenge,
        name="robot_challenge",
    ),
    path("mailbox/", outbox.mailbox, name="mailbox"),
    path("mailbox/<int:pk>/", outbox.mailbox_message, name="mailbox_message"),
    # Uploaded images. A large deployment may put a CDN in front of this path.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]

urlpatterns += i18n_patterns(
    path("", campaigns.home, name="home"),
    path("archive/", campaigns.archive, name="archive"),
    path("campaigns.atom", feeds.campaigns, name="campaigns_feed"),
    path("petitions/<slug:slug>/", campaigns.petition_detail, name="petition"),
    path("petitions/<slug:slug>/updates.atom", feeds.petition_updates, name="petition_feed"),
    # Embeds: the pages another site may frame (campaigns/embeds.py).
    path("petitions/<slug:slug>/embed/", embeds.petition, name="embed_petition"),
    path("petitions/<slug:slug>/embed/sign/", embeds.petition_sign, name="embed_sign"),
    path("petitions/<slug:slug>/embed/thanks/", embeds.petition_thanks, name="embed_thanks"),
    path("actions/ua-<int:serial>-<int:year>/embed/", embeds.action, name="embed_action"),
    path("actions/ua-<int:serial>-<int:year>/updates.atom", feeds.case_updates, name="action_feed"),
    path("petitions/<slug:slug>/sign/", signing.sign, name="sign"),
    path("petitions/<slug:slug>/thanks/", signing.thanks, name="thanks"),
    path("petitions/<slug:slug>/confirmed/", signing.confirmed, name="confirmed"),
    path("petitions/<slug:slug>/signatures/", campaigns.signatures, name="signatures"),
    path("petitions/<slug:slug>/comments/", campaigns.comment, name="comment"),
    path("petitions/<slug:slug>/comments/thanks/", campaigns.comment_thanks, name="comment_thanks"),
    path(
        "petitions/<slug:slug>/comments/<int:pk>/report/",
        campaigns.report_comment,
        name="report_comment",
    ),
    path("confirm/<str:token>/", signing.confirm, name="confirm"),
    path("actions/ua-<int:serial>-<int:year>/", actions.detail, name="action"),
    path("actions/ua-<int:serial>-<int:year>/write/", actions.write, name="write_letters"),
    path("actions/ua-<int:serial>-<int:year>/print/", actions.print_letter, name="print_letters"),
    path("actions/ua-<int:serial>-<int:year>/send/", actions.send, name="send_letters"),
    path("actions/ua-<int:serial>-<int:year>/sent/", actions.letters_sent, name="letters_sent"),
    path("actions/ua-<int:serial>-<int:year>/report/", actions.report, name="report"),
    path(
        "actions/ua-<int:serial>-<int:year>/report/thanks/",
        actions.report_thanks,
        name="report_thanks",
    ),
    path("letters/confirm/<str:token>/", actions.confirm_letters, name="confirm_letters"),
    path("letters/<str:token>/", actions.letters_status, name="letters_status"),
    path("reports/<str:token>/", actions.amend_report, name="amend_report"),
    path("case-updates/<str:token>/", actions.stop_case_updates, name="stop_case_updates"),
    path(
        "invitations/<str:token>/",
        rate_limited("invitation")(organiser.accept_invitation),
        name="accept_invitation",
    ),
    # The organiser workspace: every address under <org>/ goes through member_required.
    path(
        "organiser/login/",
        rate_limited("login")(accounts.LoginView.as_view()),
        name="organiser_login",
    ),
    path(
        "organiser/login/code/",
        rate_limited("login")(accounts.login_code),
        name="organiser_login_code",
    ),
    path("organiser/logout/", auth.LogoutView.as_view(), name="organiser_logout"),
    path("organiser/", organiser.home, name="organiser_home"),
    path("organiser/<slug:org>/", organiser.dashboard, name="organiser_dashboard"),
    path("organiser/<slug:org>/members/", organiser.members, name="organiser_members"),
    path(
        "organiser/<slug:org>/members/<int:pk>/role/",
        organiser.member_role,
        name="organiser_member_role",
    ),
    path(
        "organiser/<slug:org>/members/<int:pk>/remove/",
        organiser.member_remove,
        name="organiser_member_remove",
    ),
    path("organiser/<slug:org>/audit/", organiser.audit_log, name="organiser_audit"),
    path("organiser/<slug:org>/", include("outcry.organiser.urls")),
    path(
        "organiser/<slug:org>/actions/<int:pk>/totals/",
        actions.totals_report,
        name="action_totals",
    ),
    path(
        "organiser/<slug:org>/actions/<int:pk>/totals.pdf",
        actions.totals_report,
        {"fmt": "pdf"},
        name="action_totals_pdf",
    ),
    path("unsubscribe/<str:token>/", signing.unsubscribe, name="unsubscribe"),
    path("my-data/", privacy.request_link, name="my_data_request"),
    path("my-data/<str:token>/", privacy.my_data, name="my_data"),
    path("my-data/<str:token>/data.json", privacy.download, name="my_data_download"),
)
