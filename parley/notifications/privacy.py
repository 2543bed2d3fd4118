from parley.notifications.models import OutboxMail
from parley.privacy.registry import LEGITIMATE_INTEREST, PersonalField, Retention, declare

_dev = "Development outbox: reading mails a local installation sent"
declare(
    OutboxMail,
    {
        "recipient": PersonalField("contact", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "subject": PersonalField("communication", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
        "body": PersonalField("communication", _dev, LEGITIMATE_INTEREST, Retention.DEV_OUTBOX),
    },
)
