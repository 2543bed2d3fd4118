import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        if username is None:
            raise User.DoesNotExist
        return self.get(id=username)


class User(AbstractBaseUser):
    """A portal account (administrator or expert) of exactly one tenant. Name, e-mail and password are mandatory (P02)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="users")
    name = EncryptedTextField(_("name"))
    email = EncryptedTextField(_("e-mail address"))
    email_index = models.CharField(max_length=64, editable=False)
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Zurich")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "email_index"], name="user_email_unique_per_tenant")]

    def __str__(self) -> str:
        return f"User {self.id}"  # never personal data: __str__ ends up in logs and admin history

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="person", scope_id=self.id)

    @property
    def role(self) -> str | None:
        membership = getattr(self, "membership", None)
        return membership.role if membership else None

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == "admin"


class Invitation(BaseModel):
    """An e-mailed invitation to join a tenant's portal; only a hash of its token is stored."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="invitations")
    email = EncryptedTextField()
    email_index = models.CharField(max_length=64, editable=False)
    role = models.CharField(max_length=10, default="expert")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="invitation", scope_id=self.id)


class TOTPDevice(BaseModel):
    """A TOTP authenticator (RFC 6238). The shared secret is encrypted under the person's key."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()  # hex
    confirmed = models.BooleanField(default=False)
    last_step = models.BigIntegerField(default=-1)  # a code is accepted once only

    def __str__(self) -> str:
        return f"TOTPDevice {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.user.tenant_id, scope_type="person", scope_id=self.user_id)


class PortalSession(AbstractBaseSession):
    """Server-side portal session; the cookie holds only its random key (P14, P15). Indexed by user for erasure."""

    user_id = models.UUIDField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):  # type: ignore[no-untyped-def]
        from parley.accounts.sessions import SessionStore

        return SessionStore


class LoginThrottle(models.Model):
    """Failed-login counter per (account, client). The key is a keyed hash: no address or IP is stored."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["window_started_at"]

    def __str__(self) -> str:
        return "LoginThrottle"
