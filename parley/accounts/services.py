"""Portal accounts: invitation, sign-up, deactivation, irrevocable erasure (P02, P09), passwords, two-factor."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Invitation, TOTPDevice, User
from parley.accounts.sessions import sessions_end_for_user
from parley.core.exceptions import ApplicationError, NotFound
from parley.crypto.blind_index import email_index, normalise_email
from parley.crypto.services import data_keys_destroy
from parley.experts.models import ExpertProfile
from parley.files.services import file_delete
from parley.notifications.services import mail_send
from parley.tenants.models import Membership, Tenant


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(_("Enter a name."))
    if len(name) > 150:
        raise ApplicationError(_("The name is too long (at most 150 characters)."))
    return name


def _clean_email(email: str) -> str:
    from django.core.validators import validate_email

    email = normalise_email(email or "")
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid e-mail address.")) from None
    return email


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None


def user_get_by_email(*, tenant: Tenant, email: str) -> User | None:
    return User.objects.filter(tenant=tenant, email_index=email_index(tenant_id=tenant.id, email=email)).first()


@transaction.atomic
def user_create(*, tenant: Tenant, name: str, email: str, password: str, role: str, language: str = "") -> User:
    """Create a portal account with its membership (and, for experts, an empty profile)."""
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."))
    email = _clean_email(email)
    user = User(tenant=tenant, name=_clean_name(name), email=email, language=language)
    user.email_index = email_index(tenant_id=tenant.id, email=email)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise ApplicationError(_("An account with this e-mail address already exists.")) from None
    Membership.objects.create(tenant=tenant, user=user, role=role)
    if role == Membership.Role.EXPERT:
        ExpertProfile.objects.create(tenant=tenant, user=user, languages=[language or tenant.default_language])
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, actor: User, email: str, role: str = Membership.Role.EXPERT) -> Invitation:
    """Invite someone by e-mail; a newer invitation to the same address replaces the older one."""
    tenant = actor.tenant
    email = _clean_email(email)
    if user_get_by_email(tenant=tenant, email=email) is not None:
        raise ApplicationError(_("An account with this e-mail address already exists."))
    index = email_index(tenant_id=tenant.id, email=email)
    Invitation.objects.filter(tenant=tenant, email_index=index, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        email_index=index,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.PARLEY_INVITATION_DAYS),
    )
    link = settings.PARLEY_BASE_URL + reverse("accounts:invitation_accept", kwargs={"slug": tenant.slug, "token": token})
    mail_send(
        tenant=tenant,
        to=email,
        template="mail/invitation.txt",
        context={"link": link, "inviter": actor.name, "days": settings.PARLEY_INVITATION_DAYS},
    )
    return invitation


def invitation_get_by_token(*, tenant: Tenant, token: str) -> Invitation:
    invitation = Invitation.objects.filter(tenant=tenant, token_hash=_token_hash(token)).first()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < timezone.now():
        raise NotFound(_("This invitation is not valid any more. Ask your administrator for a new one."))
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, name: str, password: str, language: str = "") -> User:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise NotFound(_("This invitation is not valid any more. Ask your administrator for a new one."))
    user = user_create(
        tenant=invitation.tenant, name=name, email=invitation.email, password=password, role=invitation.role, language=language
    )
    # The invitation has served its purpose: keep no copy of the address beside the account.
    invitation.delete()
    data_keys_destroy(scope_type="invitation", scope_ids=[invitation.id])
    return user


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    invitation.delete()
    data_keys_destroy(scope_type="invitation", scope_ids=[invitation.id])


def invitations_prune() -> int:
    """Delete invitations that expired unaccepted, with their keys (housekeeping)."""
    with transaction.atomic():
        ids = list(Invitation.objects.filter(expires_at__lt=timezone.now()).values_list("id", flat=True))
        Invitation.objects.filter(id__in=ids).delete()
        data_keys_destroy(scope_type="invitation", scope_ids=ids)
    return len(ids)


def _guard_last_admin(*, user: User) -> None:
    if user.role != Membership.Role.ADMIN:
        return
    others = Membership.objects.filter(tenant_id=user.tenant_id, role=Membership.Role.ADMIN, user__is_active=True).exclude(
        user=user
    )
    if not others.exists():
        raise ApplicationError(_("The organisation needs at least one active administrator."))


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    if user.tenant_id != actor.tenant_id:
        raise NotFound(_("No such account."))
    _guard_last_admin(user=user)
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    sessions_end_for_user(user.id)
    profile = getattr(user, "expert_profile", None)
    if profile is not None and profile.status != ExpertProfile.Status.OFFLINE:
        profile.status = ExpertProfile.Status.OFFLINE
        profile.save(update_fields=["status", "updated_at"])
    return user


@transaction.atomic
def user_activate(*, actor: User, user: User) -> User:
    if user.tenant_id != actor.tenant_id:
        raise NotFound(_("No such account."))
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    return user


@transaction.atomic
def user_erase(*, actor: User, user: User) -> None:
    """Delete an expert or administrator irrevocably (P09): login data, photo, description, sessions, second factor.

    Rows are deleted and the person's data key is destroyed in the same transaction, so copies in backups can no
    longer be decrypted. The conversations the person holds as expert go too (transfer them first to keep them)."""
    from parley.holds.services import hold_guard_deletion
    from parley.interactions.services import interactions_delete_for_expert
    from parley.privacy.services import user_erasure_record
    from parley.scheduling.calendars.services import calendars_unlink_for_expert
    from parley.stats.services import stats_forget_expert

    if user.tenant_id != actor.tenant_id:
        raise NotFound(_("No such account."))
    hold_guard_deletion(target_type="user", target_id=user.id)  # P26: blocked, not erased
    _guard_last_admin(user=user)
    profile = ExpertProfile.objects.filter(user=user).select_related("photo").first()
    if profile is not None and profile.photo is not None:
        file_delete(stored=profile.photo, category="account", rule="account-deletion")
    if profile is not None:
        stats_forget_expert(tenant_id=user.tenant_id, profile_id=profile.id)  # P09: counters merged into 'former expert'
    interactions_delete_for_expert(user=user)
    calendars_unlink_for_expert(user=user)
    sessions_end_for_user(user.id)
    Invitation.objects.filter(invited_by=user).update(invited_by=None)
    user_id = user.id
    user.delete()
    data_keys_destroy(scope_type="person", scope_ids=[user_id])
    user_erasure_record(user_id=user_id, tenant_id=user.tenant_id)  # the erasure ledger (P09, parley restore-check)


def user_profile_update(*, user: User, name: str, language: str, timezone_name: str) -> User:
    import zoneinfo

    if language and language not in dict(settings.LANGUAGES):
        raise ApplicationError(_("Unknown language."))
    if timezone_name not in zoneinfo.available_timezones():
        raise ApplicationError(_("Unknown time zone."))
    user.name = _clean_name(name)
    user.language = language
    user.timezone = timezone_name
    user.save(update_fields=["name", "language", "timezone", "updated_at"])
    return user


def password_set(*, user: User, password: str) -> None:
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])


def password_reset_request(*, tenant: Tenant, email: str) -> None:
    """Mail a reset link if the address belongs to an active account; say nothing either way (no enumeration)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    try:
        email = _clean_email(email)
    except ApplicationError:
        return
    user = user_get_by_email(tenant=tenant, email=email)
    if user is None or not user.is_active:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.PARLEY_BASE_URL + reverse(
        "accounts:password_reset_confirm", kwargs={"slug": tenant.slug, "uidb64": uid, "token": token}
    )
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    mail_send(
        tenant=tenant,
        to=email,
        template="mail/password_reset.txt",
        context={"link": link, "minutes": minutes},
        language=user.language,
    )


# Two-factor authentication (TOTP, RFC 6238)


def totp_device_start(*, user: User) -> TOTPDevice:
    """Begin enrolment: a new unconfirmed secret (replacing an unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(_("Two-factor authentication is already set up."))
    return TOTPDevice.objects.create(user=user, secret=secrets.token_hex(20))


def totp_verify(*, device: TOTPDevice, code: str) -> bool:
    """Check a code with one step of clock drift either way; each time step is accepted once only (no replay)."""
    from django_otp.oath import TOTP

    code = "".join((code or "").split())
    if not code.isdigit() or len(code) != 6:
        return False
    totp = TOTP(bytes.fromhex(device.secret), step=30, digits=6)
    for drift in (0, -1, 1):
        totp.drift = drift
        if totp.token() == int(code) and totp.t() > device.last_step:
            device.last_step = totp.t()
            device.save(update_fields=["last_step", "updated_at"])
            return True
    return False


def totp_device_confirm(*, device: TOTPDevice, code: str) -> None:
    if not totp_verify(device=device, code=code):
        raise ApplicationError(_("The code is not correct. Check your authenticator app's time and try again."))
    device.confirmed = True
    device.save(update_fields=["confirmed", "updated_at"])


def totp_device_remove(*, user: User) -> None:
    if user.tenant.require_two_factor:
        raise ApplicationError(_("Your organisation requires two-factor authentication."))
    TOTPDevice.objects.filter(user=user).delete()


def totp_provisioning_uri(*, device: TOTPDevice, issuer: str, account: str) -> str:
    import base64
    from urllib.parse import quote, urlencode

    secret = base64.b32encode(bytes.fromhex(device.secret)).decode().rstrip("=")
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer, "digits": 6, "period": 30})


def has_confirmed_totp(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
