from parley.notifications.models import OutboxMail
from parley.privacy.registry import LEGITIMATE_INTEREST, PersonalField, Retention, declare

_dev = "Sending mails (encrypted outbox until sent); development copies for the Outbox page"
declare(
    OutboxMail,
    {
        "recipient": PersonalField("contact", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "subject": PersonalField("communication", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "body": PersonalField("communication", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
    },
)
