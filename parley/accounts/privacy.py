from django.utils.translation import gettext_noop

from parley.accounts.models import Invitation, LoginThrottle, PortalSession, TOTPDevice, User
from parley.privacy.registry import CONTRACT, LEGITIMATE_INTEREST, PersonalField, Retention, Storage, declare

_login = gettext_noop("Portal login and identification of the account holder (P02)")

declare(
    User,
    {
        "name": PersonalField(gettext_noop("identity"), _login, CONTRACT, Retention.ACCOUNT),
        "email": PersonalField(
            gettext_noop("contact"),
            gettext_noop("Portal login and identification of the account holder (P02); invitations and password reset"),
            CONTRACT,
            Retention.ACCOUNT,
        ),
        "email_index": PersonalField(
            gettext_noop("contact"),
            gettext_noop("Finding the account by e-mail"),
            CONTRACT,
            Retention.ACCOUNT,
            Storage.KEYED_HASH,
        ),
        "password": PersonalField(
            gettext_noop("credentials"), gettext_noop("Authentication (P03)"), CONTRACT, Retention.ACCOUNT, Storage.PASSWORD_HASH
        ),
    },
)
declare(
    Invitation,
    {
        "email": PersonalField(
            gettext_noop("contact"), gettext_noop("Inviting a colleague to the portal"), CONTRACT, Retention.INVITATION
        ),
        "email_index": PersonalField(
            gettext_noop("contact"),
            gettext_noop("Replacing an older invitation"),
            CONTRACT,
            Retention.INVITATION,
            Storage.KEYED_HASH,
        ),
        "token_hash": PersonalField(
            gettext_noop("credentials"),
            gettext_noop("Accepting the invitation"),
            CONTRACT,
            Retention.INVITATION,
            Storage.PSEUDONYMOUS,
        ),
    },
)
declare(
    TOTPDevice,
    {
        "secret": PersonalField(
            gettext_noop("credentials"), gettext_noop("Two-factor authentication"), LEGITIMATE_INTEREST, Retention.ACCOUNT
        )
    },
)
declare(PortalSession, note="Holds a random session key and the account id only; ended on logout, expiry or erasure.")
declare(
    LoginThrottle,
    {
        "key": PersonalField(
            gettext_noop("security"),
            gettext_noop("Lock-out after repeated failed logins"),
            LEGITIMATE_INTEREST,
            Retention.THROTTLE,
            Storage.KEYED_HASH,
        )
    },
)
