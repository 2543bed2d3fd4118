from django.utils.translation import gettext_noop

from parley.experts.models import ExpertProfile, Topic
from parley.privacy.registry import CONTRACT, PersonalField, Retention, Storage, declare

_shown = gettext_noop("Shown to end customers choosing an expert")
declare(
    ExpertProfile,
    {
        "description": PersonalField(gettext_noop("profile"), _shown, CONTRACT, Retention.ACCOUNT),
        "languages": PersonalField(gettext_noop("profile"), _shown, CONTRACT, Retention.ACCOUNT),
        "photo": PersonalField(gettext_noop("profile photo"), _shown, CONTRACT, Retention.ACCOUNT, Storage.ENCRYPTED_FILE),
    },
    not_personal={
        "page_include": "Website path patterns set by the tenant's admin.",
        "page_exclude": "Website path patterns set by the tenant's admin.",
    },
)
declare(Topic, not_personal={"name": "A subject or team name set by the tenant's admin."})
