from django.utils.translation import gettext_noop

from parley.consent.models import ConsentRecord
from parley.privacy.registry import LEGAL_OBLIGATION, PersonalField, Retention, Storage, declare

_proof = gettext_noop(
    "Proof that the person consented, to what, under which privacy-notice version, and when they withdrew (Art. 7(1) GDPR)"
)

declare(
    ConsentRecord,
    {
        "subject_index": PersonalField(
            gettext_noop("consent"), _proof, LEGAL_OBLIGATION, Retention.CONSENT_PROOF, Storage.KEYED_HASH
        ),
        "withdrawal_token_hash": PersonalField(
            gettext_noop("credentials"),
            gettext_noop("The one-click withdrawal link (Art. 7(3) GDPR)"),
            LEGAL_OBLIGATION,
            Retention.CONSENT_PROOF,
            Storage.PSEUDONYMOUS,
        ),
    },
    note="Names the person only by the per-tenant e-mail blind index or a random id; no e-mail, no IP address. "
    "The processing the consent covers (newsletter, optional cookies) has consent as its legal basis "
    "(parley.privacy.registry.CONSENT); the record itself is the controller's proof.",
)
