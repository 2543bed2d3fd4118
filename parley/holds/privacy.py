from django.utils.translation import gettext_noop

from parley.holds.models import LegalHold
from parley.privacy.registry import LEGAL_OBLIGATION, PersonalField, Retention, declare

declare(
    LegalHold,
    {
        "reason": PersonalField(
            gettext_noop("legal hold"),
            gettext_noop("Keeping blocked data for a legal obligation or legal claims (P26, Art. 17(3)(b),(e) and 18 GDPR)"),
            LEGAL_OBLIGATION,
            Retention.TENANT,
        )
    },
    note="The target is named by id only; on release the reason is wiped and ids and timestamps remain as the record.",
)
