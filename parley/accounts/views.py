import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from parley.accounts import services, throttle
from parley.accounts.forms import (
    AccountForm,
    CodeForm,
    EmailForm,
    InvitationAcceptForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
)
from parley.accounts.models import TOTPDevice, User
from parley.accounts.sessions import sessions_end_for_user
from parley.core.exceptions import ApplicationError, NotFound
from parley.portals.decorators import home_url_for, portal_view
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant
from parley.tenants.selectors import tenant_get_by_slug

PENDING_KEY = "parley_pending_2fa"
PENDING_SECONDS = 300


def _tenant_or_404(slug: str) -> Tenant:
    try:
        return tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None


def _complete_login(request: HttpRequest, user: User, remember: bool) -> HttpResponse:
    login(request, user, backend="parley.accounts.backends.TenantEmailBackend")
    # "Stay signed in" (P14, P15): a persistent cookie; otherwise it ends with the browser session.
    request.session.set_expiry(settings.SESSION_COOKIE_AGE if remember else 0)
    return redirect(home_url_for(user))


def _locked_message() -> str:
    minutes = settings.PARLEY_LOGIN_LOCK_MINUTES
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)s minute.",
        "Too many failed attempts. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    if request.user.is_authenticated and request.user.tenant_id == tenant.id:
        return redirect(home_url_for(request.user))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"]
            key = throttle.throttle_key(tenant_id=tenant.id, email=email, client=throttle.client_address(request))
            if throttle.is_locked(key):
                form.add_error(None, _locked_message())
                status = 429
            else:
                user = authenticate(request, tenant=tenant, email=email, password=form.cleaned_data["password"])
                if user is None:
                    locked = throttle.failure_record(key)
                    form.add_error(None, _locked_message() if locked else _("The e-mail address or the password is not correct."))
                    status = 429 if locked else 400
                else:
                    throttle.failures_reset(key)
                    remember = form.cleaned_data["remember"]
                    if services.has_confirmed_totp(user):
                        request.session.cycle_key()
                        request.session[PENDING_KEY] = {"user": str(user.id), "remember": remember, "at": time.time()}
                        return redirect("accounts:two_factor", slug=slug)
                    return _complete_login(request, user, remember)
    return render(request, "accounts/login.html", {"tenant": tenant, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def two_factor_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login", slug=slug)
    user = User.objects.filter(id=uuid.UUID(pending["user"]), tenant=tenant, is_active=True).first()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user else None
    if user is None or device is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("accounts:login", slug=slug)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        key = throttle.throttle_key(
            tenant_id=tenant.id, email=str(user.id), client=throttle.client_address(request), purpose="totp"
        )
        if throttle.is_locked(key):
            form.add_error(None, _locked_message())
            status = 429
        elif form.is_valid() and services.totp_verify(device=device, code=form.cleaned_data["code"]):
            throttle.failures_reset(key)
            remember = bool(pending.get("remember"))
            del request.session[PENDING_KEY]
            return _complete_login(request, user, remember)
        else:
            locked = throttle.failure_record(key)
            form.add_error(None, _locked_message() if locked else _("The code is not correct."))
            status = 429 if locked else 400
    return render(request, "accounts/two_factor.html", {"tenant": tenant, "form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest, slug: str) -> HttpResponse:
    logout(request)
    return redirect("accounts:login", slug=slug)


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    form = EmailForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.password_reset_request(tenant=tenant, email=form.cleaned_data["email"])
            return render(request, "accounts/password_reset_sent.html", {"tenant": tenant})
        return render(request, "accounts/password_reset.html", {"tenant": tenant, "form": form}, status=400)
    return render(request, "accounts/password_reset.html", {"tenant": tenant, "form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest, slug: str, uidb64: str, token: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError):
        user_id = None
    user = User.objects.filter(id=user_id, tenant=tenant, is_active=True).first() if user_id else None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/password_reset_invalid.html", {"tenant": tenant}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.password_set(user=user, password=form.cleaned_data["password"])
            except ApplicationError as exc:
                form.add_error("password", exc.message)
            else:
                sessions_end_for_user(user.id)
                messages.success(request, _("Your password was changed. Please sign in."))
                return redirect("accounts:login", slug=slug)
        return render(request, "accounts/password_reset_confirm.html", {"tenant": tenant, "form": form}, status=400)
    return render(request, "accounts/password_reset_confirm.html", {"tenant": tenant, "form": form})


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    try:
        invitation = services.invitation_get_by_token(tenant=tenant, token=token)
    except NotFound as exc:
        return render(request, "accounts/invitation_invalid.html", {"tenant": tenant, "message": exc.message}, status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invitation,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                    language=form.cleaned_data["language"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Welcome! Your account is ready."))
                return _complete_login(request, user, remember=False)
        status = 400
    else:
        status = 200
    context = {"tenant": tenant, "form": form, "email": invitation.email}
    return render(request, "accounts/invitation_accept.html", context, status=status)


@portal_view(allow_without_second_factor=True)
@require_http_methods(["GET", "POST"])
def account_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    user = request.user
    account_form = AccountForm(initial={"name": user.name, "language": user.language, "timezone": user.timezone})
    password_form = PasswordChangeForm()
    status = 200
    if request.method == "POST":
        status = 400
        if request.POST.get("action") == "password":
            password_form = PasswordChangeForm(request.POST)
            if password_form.is_valid():
                if not user.check_password(password_form.cleaned_data["current"]):
                    password_form.add_error("current", _("The current password is not correct."))
                else:
                    try:
                        services.password_set(user=user, password=password_form.cleaned_data["password"])
                    except ApplicationError as exc:
                        password_form.add_error("password", exc.message)
                    else:
                        from django.contrib.auth import update_session_auth_hash

                        update_session_auth_hash(request, user)
                        messages.success(request, _("Your password was changed."))
                        return redirect("accounts:account", slug=tenant.slug)
        else:
            account_form = AccountForm(request.POST)
            if account_form.is_valid():
                try:
                    services.user_profile_update(
                        user=user,
                        name=account_form.cleaned_data["name"],
                        language=account_form.cleaned_data["language"],
                        timezone_name=account_form.cleaned_data["timezone"],
                    )
                except ApplicationError as exc:
                    account_form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Your account was saved."))
                    return redirect("accounts:account", slug=tenant.slug)
    context = {
        "tenant": tenant,
        "account_form": account_form,
        "password_form": password_form,
        "has_totp": services.has_confirmed_totp(user),
    }
    return render(request, "accounts/account.html", context, status=status)


@portal_view(allow_without_second_factor=True)
@require_http_methods(["GET", "POST"])
def two_factor_setup_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "remove":
        try:
            services.totp_device_remove(user=user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Two-factor authentication is switched off."))
        return redirect("accounts:account", slug=tenant.slug)
    if services.has_confirmed_totp(user):
        return redirect("accounts:account", slug=tenant.slug)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = services.totp_device_start(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.totp_device_confirm(device=device, code=form.cleaned_data["code"])
            except ApplicationError as exc:
                form.add_error("code", exc.message)
            else:
                messages.success(request, _("Two-factor authentication is on."))
                return redirect(home_url_for(user))
    uri = services.totp_provisioning_uri(device=device, issuer=f"Parley {tenant.name}", account=user.email)
    context = {
        "tenant": tenant,
        "form": form,
        "qr_svg": _qr_svg(uri),
        "secret": uri.split("secret=")[1].split("&")[0],
        "required": tenant.require_two_factor,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=status)


def _qr_svg(data: str) -> str:
    import io

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration: the SVG is inlined into HTML
