from django.utils.translation import gettext_noop

from parley.notifications.models import OutboxMail
from parley.privacy.registry import LEGITIMATE_INTEREST, PersonalField, Retention, declare

_dev = gettext_noop("Sending mails (encrypted outbox until sent); development copies for the Outbox page")
declare(
    OutboxMail,
    {
        "recipient": PersonalField(gettext_noop("contact"), _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "subject": PersonalField(gettext_noop("communication"), _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "body": PersonalField(gettext_noop("communication"), _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "calendar": PersonalField(gettext_noop("communication"), _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
    },
    not_personal={
        "template": "Which kind of mail (a template name).",
        "calendar_method": "REQUEST or CANCEL.",
    },
    note="related_id is the id of the appointment a mail is about.",
)
