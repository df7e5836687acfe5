"""Organiser accounts: logging in (password, then a code if two-factor is on) and
turning two-factor authentication on and off from the workspace."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from outcry.guard.limits import limit, reset
from outcry.organiser import twofactor
from outcry.organiser.access import EVERYONE, member_required
from outcry.organiser.forms import CodeForm, LoginForm, username_key
from outcry.organiser.models import TwoFactor

# Between the password step and the code step the session holds only this, never a
# login: the user is logged in once the code is right, within a few minutes.
PENDING = "outcry.login.pending"
PENDING_SECONDS = 300
# The secret being set up, until the first code from the app confirms it.
SETUP = "outcry.two_factor.setup"


def _forget_failures(user) -> None:
    for kind, key in (
        ("login_username", username_key(user.get_username())),
        ("login_code", f"login_code:{user.pk}"),
    ):
        reset(key, seconds=settings.RATE_LIMITS[kind][1])


def _code_throttled(form: CodeForm, user) -> int | None:
    """Use up one of the account's code tries; when none are left, say so on the form."""
    per, seconds = settings.RATE_LIMITS["login_code"]
    retry_after = limit(f"login_code:{user.pk}", per=per, seconds=seconds)
    if retry_after is not None:
        minutes = -(-retry_after // 60)
        form.add_error(
            "code",
            ngettext(
                "Too many wrong codes. Please wait %(minutes)d minute and try again.",
                "Too many wrong codes. Please wait %(minutes)d minutes and try again.",
                minutes,
            )
            % {"minutes": minutes},
        )
    return retry_after


def _wrong_code(form: CodeForm) -> None:
    form.add_error("code", _("That code is not right, or was already used. Please try again."))


def _throttled_response(response, retry_after: int | None):
    if retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


class LoginView(auth.LoginView):
    form_class = LoginForm
    template_name = "organiser/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if TwoFactor.objects.filter(user=user).exists():
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": self.get_success_url(),  # already checked to be one of ours
            }
            return redirect("organiser_login_code")
        _forget_failures(user)
        return super().form_valid(form)

    def form_invalid(self, form):
        return _throttled_response(super().form_invalid(form), form.retry_after)


@require_http_methods(["GET", "POST"])
def login_code(request):
    pending = request.session.get(PENDING)
    user = None
    if pending and time.time() - pending["at"] <= PENDING_SECONDS:
        user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        if request.session.pop(PENDING, None):
            messages.info(request, _("That took too long. Please log in again."))
        return redirect("organiser_login")
    form = CodeForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        retry_after = _code_throttled(form, user)
        if retry_after is None:
            used = twofactor.verify(user=user, code=form.cleaned_data["code"])
            if used:
                del request.session[PENDING]
                login(request, user, backend=pending["backend"])
                _forget_failures(user)
                if used == twofactor.RECOVERY:
                    left = twofactor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You logged in with a recovery code; %(n)d is left.",
                            "You logged in with a recovery code; %(n)d are left.",
                            left,
                        )
                        % {"n": left},
                    )
                return redirect(pending["next"])
            _wrong_code(form)
    response = render(
        request, "organiser/login_code.html", {"form": form}, status=400 if form.errors else 200
    )
    return _throttled_response(response, retry_after)


def _show_recovery_codes(request, codes: list[str]):
    response = render(request, "organiser/recovery_codes.html", {"codes": codes})
    add_never_cache_headers(response)  # shown once: never kept by a cache or the back button
    return response


@member_required(EVERYONE)
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """One page: set it up (QR code, then a code) when off; a code turns it off when on."""
    user, org = request.user, request.organisation
    form = CodeForm(request.POST or None)
    posted = request.method == "POST" and form.is_valid()
    retry_after = _code_throttled(form, user) if posted else None
    code = form.cleaned_data["code"] if posted and retry_after is None else None
    current = TwoFactor.objects.filter(user=user).first()
    context = {"form": form, "two_factor": current}
    if current is not None:
        if code is not None and request.POST.get("action") == "off":
            if twofactor.disable(user=user, code=code):
                _forget_failures(user)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("organiser_two_factor", org=org.slug)
            _wrong_code(form)
        elif code is not None and request.POST.get("action") == "renew":
            codes = twofactor.renew_recovery_codes(user=user, code=code)
            if codes:
                _forget_failures(user)
                return _show_recovery_codes(request, codes)
            _wrong_code(form)
        context["left"] = twofactor.recovery_codes_left(user)
    else:
        # The same secret until it is confirmed, so reloading keeps the QR code scanned.
        secret = request.session.setdefault(SETUP, twofactor.new_secret())
        if code is not None:
            codes = twofactor.enable(user=user, secret=secret, code=code)
            if codes:
                del request.session[SETUP]
                _forget_failures(user)
                return _show_recovery_codes(request, codes)
            _wrong_code(form)
        uri = twofactor.provisioning_uri(secret=secret, user=user)
        svg = twofactor.qr_svg(uri, title=_("QR code for your authenticator app"))
        context["qr"] = mark_safe(svg)  # noqa: S308 (drawn by segno from our own data)
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    response = render(
        request, "organiser/two_factor.html", context, status=400 if form.errors else 200
    )
    add_never_cache_headers(response)
    return _throttled_response(response, retry_after)


urlpatterns = [
    path("account/two-factor/", two_factor, name="organiser_two_factor"),
]
