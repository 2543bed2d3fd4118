from django.utils.translation import gettext_noop

from parley.careers.models import Application, Position
from parley.privacy.registry import PersonalField, Retention, Storage, declare

APPLICANTS = gettext_noop("job applicants")
# Art. 6(1)(b) GDPR covers steps taken at the applicant's request before entering into an employment contract.
PRE_CONTRACT = gettext_noop("Art. 6(1)(b) GDPR: steps prior to entering into a contract, at the applicant's request")
_apply = gettext_noop("Deciding on the application and contacting the applicant about it")
_keep = Retention.JOB_APPLICATION


def _field(category: str, storage: Storage = Storage.ENCRYPTED) -> PersonalField:
    return PersonalField(category, _apply, PRE_CONTRACT, _keep, storage, subjects=(APPLICANTS,))


declare(
    Position,
    not_personal={"description": "The public text of a job advertisement, written by the tenant."},
    note="Open positions shown on the public careers page.",
)
declare(
    Application,
    {
        "name": _field(gettext_noop("job application")),
        "email": _field(gettext_noop("job application")),
        "email_index": PersonalField(
            gettext_noop("job application"),
            gettext_noop("Finding the applications of an e-mail address for a data-subject request (P28, P29)"),
            PRE_CONTRACT,
            _keep,
            Storage.KEYED_HASH,
            subjects=(APPLICANTS,),
        ),
        "phone": _field(gettext_noop("job application")),
        "linkedin_url": _field(gettext_noop("job application")),
        "cover_letter": _field(gettext_noop("job application")),
        "cv": _field(gettext_noop("job application"), Storage.ENCRYPTED_FILE),
        "cv_filename": _field(gettext_noop("job application")),
        "photo": _field(gettext_noop("job application"), Storage.ENCRYPTED_FILE),
        "notes": _field(gettext_noop("job application")),
    },
    note="Encrypted under the application's own key, CV and photo included; deleted with its files and key 12 months "
    "after the process ended (hired, rejected or withdrawn). Open processes are kept.",
)
