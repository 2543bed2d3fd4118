from django.utils.translation import gettext_noop

from parley.dsr.models import DataSubjectRequest
from parley.privacy.registry import LEGAL_OBLIGATION, PersonalField, Retention, Storage, declare

_answer = gettext_noop("Answering the person's data-subject request and proving it was answered in time (Art. 12, 15-22 GDPR)")
_keep = Retention.DSR_REQUEST
declare(
    DataSubjectRequest,
    {
        "email": PersonalField(gettext_noop("data-subject request"), _answer, LEGAL_OBLIGATION, _keep),
        "name": PersonalField(gettext_noop("data-subject request"), _answer, LEGAL_OBLIGATION, _keep),
        "text": PersonalField(gettext_noop("data-subject request"), _answer, LEGAL_OBLIGATION, _keep),
        "outcome": PersonalField(gettext_noop("data-subject request"), _answer, LEGAL_OBLIGATION, _keep),
        "subject_index": PersonalField(
            gettext_noop("data-subject request"),
            gettext_noop("Finding the person's conversations by e-mail"),
            LEGAL_OBLIGATION,
            _keep,
            Storage.KEYED_HASH,
        ),
        "token_hash": PersonalField(
            gettext_noop("access token"),
            gettext_noop("Confirming the request through a single-use e-mail link"),
            LEGAL_OBLIGATION,
            _keep,
            Storage.PSEUDONYMOUS,
        ),
    },
    not_personal={"token_expires_at": "When the confirmation link stops working."},
    note="E-mail, name, text and outcome are encrypted under the request's own key and shredded "
    "PARLEY_DSR_RETENTION_MONTHS (default 36) after the request was closed; number, right, status and dates stay as "
    "proof that it was answered. Unconfirmed requests are deleted after 48 hours. Exports are built on the fly and "
    "never stored.",
)
