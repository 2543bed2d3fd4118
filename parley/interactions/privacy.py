from django.utils.translation import gettext_noop

from parley.interactions.models import Document, Interaction, Message, SearchToken, VisitorAccess
from parley.privacy.registry import CONTRACT, PersonalField, Retention, Storage, declare

_talk = gettext_noop("Advising the customer who started the conversation (P04)")
_svc = Retention.SERVICE_12_MONTHS
declare(
    Interaction,
    {
        "customer_name": PersonalField(gettext_noop("contact"), _talk, CONTRACT, _svc),
        "customer_email": PersonalField(
            gettext_noop("contact"),
            gettext_noop(
                "Advising the customer who started the conversation (P04); telling them about replies while they are away"
            ),
            CONTRACT,
            _svc,
        ),
    },
    not_personal={
        "customer_language": "One of Parley's four UI languages, chosen for the customer's e-mails.",
        "customer_timezone": "An IANA zone name for formatting times in e-mails; identifies no one.",
    },
    note="Counters, timestamps and status describe the conversation; its content is in Message and Document.",
)
declare(
    Message,
    {"body": PersonalField(gettext_noop("chat history"), _talk, CONTRACT, _svc)},
    note="Author is an expert account id; sequence numbers order the conversation.",
)
declare(
    Document,
    {
        "filename": PersonalField(gettext_noop("documents"), _talk, CONTRACT, _svc),
        "file": PersonalField(gettext_noop("documents"), _talk, CONTRACT, _svc, Storage.ENCRYPTED_FILE),
    },
    not_personal={"content_type": "A MIME type.", "size": "A byte count."},
)
declare(
    VisitorAccess,
    {
        "token_hash": PersonalField(
            gettext_noop("access token"),
            gettext_noop("Letting the customer return without an account (P16)"),
            CONTRACT,
            _svc,
            Storage.PSEUDONYMOUS,
        )
    },
)
declare(
    SearchToken,
    {
        "token": PersonalField(
            gettext_noop("search index"),
            gettext_noop("Finding a conversation by the customer's name or e-mail"),
            CONTRACT,
            _svc,
            Storage.KEYED_HASH,
        )
    },
)
