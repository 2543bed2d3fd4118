from django.utils.translation import gettext_noop

from parley.privacy.registry import CONTRACT, PersonalField, Retention, Storage, declare
from parley.scheduling.models import (
    Absence,
    Appointment,
    AppointmentType,
    BusyInterval,
    CalendarConnection,
    ExpertTypeSetting,
    ExtraHours,
    OAuthState,
    WeeklyHours,
)

_offer = "Offering the expert's free times to customers"
declare(AppointmentType, not_personal={"name": "A kind of appointment named by the tenant."})
declare(ExpertTypeSetting, note="An expert's durations and buffers: working-time settings, no content.")
declare(WeeklyHours, note=f"Working hours of an expert account. {_offer}; erased with the account (P09).")
declare(ExtraHours, note=f"One-off working hours. {_offer}; erased with the account (P09).")
declare(Absence, note=f"When an expert is away, without a reason. {_offer}; erased with the account (P09).")
declare(
    Appointment,
    {
        "note": PersonalField(
            gettext_noop("appointments"),
            gettext_noop("Preparing the appointment the customer booked (P04)"),
            CONTRACT,
            Retention.SERVICE_12_MONTHS,
        ),
        "expert_message": PersonalField(
            gettext_noop("appointments"),
            gettext_noop("Telling the customer about a change (P04)"),
            CONTRACT,
            Retention.SERVICE_12_MONTHS,
        ),
        "manage_token": PersonalField(
            gettext_noop("access token"),
            gettext_noop("Putting the reschedule/cancel link into every mail"),
            CONTRACT,
            Retention.SERVICE_12_MONTHS,
        ),
        "manage_token_hash": PersonalField(
            gettext_noop("access token"),
            gettext_noop("Letting the customer reschedule or cancel without an account"),
            CONTRACT,
            Retention.SERVICE_12_MONTHS,
            Storage.PSEUDONYMOUS,
        ),
    },
    not_personal={"customer_timezone": "An IANA zone name for formatting times in mails."},
    note="Name and e-mail are on the interaction; times and status describe the booking.",
)
declare(
    BusyInterval,
    note="P12: only the start and end of an event in the expert's connected calendar, for 8 weeks ahead; never a title, "
    "description, location or attendee. Deleted on unlink.",
)
_sync = gettext_noop("Reading busy times from the expert's calendar (P12)")
declare(
    CalendarConnection,
    {
        "access_token": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.ACCOUNT),
        "refresh_token": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.ACCOUNT),
        "caldav_url": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.ACCOUNT),
        "caldav_username": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.ACCOUNT),
        "caldav_password": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.ACCOUNT),
    },
    not_personal={
        "last_error": "A fixed sentence chosen by Parley, never a provider's text.",
        "token_expires_at": "When the access token expires.",
    },
)
declare(OAuthState, {"code_verifier": PersonalField(gettext_noop("calendar credentials"), _sync, CONTRACT, Retention.SESSION)})
