from django.conf import settings
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError
from parley.experts.languages import ADVISORY_LANGUAGES
from parley.experts.models import ExpertProfile
from parley.files.services import image_replace

MAX_DESCRIPTION = 2000


def expert_profile_update(*, profile: ExpertProfile, description: str, languages: list[str]) -> ExpertProfile:
    """Change what customers read about the expert. The online status has its own service: it changes from the
    status panel while the profile form may be open with an older value."""
    if any(code not in ADVISORY_LANGUAGES for code in languages):
        raise ApplicationError(_("Unknown language."))
    if not languages:
        raise ApplicationError(_("Choose at least one language you advise in."))
    if len(description) > MAX_DESCRIPTION:
        raise ApplicationError(_("The description is too long (at most %(n)s characters).") % {"n": MAX_DESCRIPTION})
    profile.description = description.strip()
    profile.languages = languages
    profile.save(update_fields=["description", "languages", "updated_at"])
    return profile


def expert_photo_set(*, profile: ExpertProfile, data: bytes | None) -> ExpertProfile:
    """Store a new profile photo with its metadata stripped, encrypted under the expert's key; None removes it."""
    image_replace(
        owner=profile, field="photo", scope=profile.crypto_scope(), data=data, max_bytes=settings.PARLEY_MAX_PHOTO_BYTES
    )
    return profile


def expert_status_set(*, profile: ExpertProfile, status: str) -> ExpertProfile:
    if status not in ExpertProfile.Status.values:
        raise ApplicationError(_("Unknown status."))
    profile.status = status
    profile.save(update_fields=["status", "updated_at"])
    return profile
