from parley.accounts.models import Invitation, LoginThrottle, PortalSession, TOTPDevice, User
from parley.privacy.registry import CONTRACT, LEGITIMATE_INTEREST, PersonalField, Retention, Storage, declare

_login = "Portal login and identification of the account holder (P02)"

declare(
    User,
    {
        "name": PersonalField("identity", _login, CONTRACT, Retention.ACCOUNT),
        "email": PersonalField("contact", _login + "; invitations and password reset", CONTRACT, Retention.ACCOUNT),
        "email_index": PersonalField("contact", "Finding the account by e-mail", CONTRACT, Retention.ACCOUNT, Storage.KEYED_HASH),
        "password": PersonalField("credentials", "Authentication (P03)", CONTRACT, Retention.ACCOUNT, Storage.PASSWORD_HASH),
    },
)
declare(
    Invitation,
    {
        "email": PersonalField("contact", "Inviting a colleague to the portal", CONTRACT, Retention.INVITATION),
        "email_index": PersonalField(
            "contact", "Replacing an older invitation", CONTRACT, Retention.INVITATION, Storage.KEYED_HASH
        ),
        "token_hash": PersonalField(
            "credentials", "Accepting the invitation", CONTRACT, Retention.INVITATION, Storage.PSEUDONYMOUS
        ),
    },
)
declare(
    TOTPDevice,
    {"secret": PersonalField("credentials", "Two-factor authentication", LEGITIMATE_INTEREST, Retention.ACCOUNT)},
)
declare(PortalSession, note="Holds a random session key and the account id only; ended on logout, expiry or erasure.")
declare(
    LoginThrottle,
    {
        "key": PersonalField(
            "security", "Lock-out after repeated failed logins", LEGITIMATE_INTEREST, Retention.THROTTLE, Storage.KEYED_HASH
        )
    },
)
