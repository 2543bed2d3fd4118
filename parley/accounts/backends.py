from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from parley.accounts.models import User
from parley.crypto.blind_index import email_index


class TenantEmailBackend(BaseBackend):
    """Authenticate by (tenant, e-mail, password); the e-mail is found through its blind index."""

    def authenticate(
        self,
        request: HttpRequest | None,
        tenant: Any = None,
        email: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if tenant is None or not email or not password:
            return None
        user = User.objects.filter(tenant=tenant, email_index=email_index(tenant_id=tenant.id, email=email)).first()
        if user is None:
            # Spend the same time as a real check so response times do not reveal which addresses exist.
            User().set_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.select_related("tenant", "membership").filter(id=user_id, is_active=True).first()
