from django.utils.translation import gettext_noop

from parley.privacy.registry import CONTRACT, PersonalField, Retention, declare
from parley.tenants.models import Membership, Tenant

declare(
    Tenant,
    {
        "controller_contact": PersonalField(
            gettext_noop("contact"), gettext_noop("Naming the controller in the privacy notice (P31)"), CONTRACT, Retention.TENANT
        ),
        "dpo_contact": PersonalField(
            gettext_noop("contact"), gettext_noop("Naming the data-protection officer (P31)"), CONTRACT, Retention.TENANT
        ),
    },
    not_personal={
        "name": "The organisation's (company's) name.",
        "proactive_text": "An invitation text written by the tenant for its website.",
    },
    note="Slug, branding and feature switches describe a company, not a person.",
)
declare(Membership, note="Links an account to its role; no personal data beyond the account id.")
