from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound
from parley.experts.languages import ADVISORY_LANGUAGES
from parley.experts.models import ExpertProfile, Topic
from parley.experts.pages import clean_path_patterns
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


MAX_TOPIC_NAME = 80
MAX_TOPIC_POSITION = 999


def _same_tenant(actor: User, tenant_id: object) -> None:
    if actor.tenant_id != tenant_id:
        raise NotFound(_("Not found."))


def _topic_values(*, actor: User, name: str, position: int, topic: Topic | None = None) -> tuple[str, int]:
    name = " ".join(name.split())
    if not name:
        raise ApplicationError(_("Enter a name."))
    if len(name) > MAX_TOPIC_NAME:
        raise ApplicationError(_("A name has at most %(n)s characters.") % {"n": MAX_TOPIC_NAME})
    if not 0 <= position <= MAX_TOPIC_POSITION:
        raise ApplicationError(_("The position is a number from 0 to %(n)s.") % {"n": MAX_TOPIC_POSITION})
    taken = Topic.objects.filter(tenant_id=actor.tenant_id, name__iexact=name)
    if topic is not None:
        taken = taken.exclude(pk=topic.pk)
    if taken.exists():
        raise ApplicationError(_("There is already a topic called “%(name)s”.") % {"name": name})
    return name, position


def _save_topic(topic: Topic, *, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            topic.save(force_insert=update_fields is None, update_fields=update_fields)
    except IntegrityError:  # a concurrent request took the name between the check and the insert
        raise ApplicationError(_("There is already a topic called “%(name)s”.") % {"name": topic.name}) from None


@transaction.atomic
def topic_create(*, actor: User, name: str, position: int) -> Topic:
    """A new topic of the actor's tenant; names are unique per tenant, ignoring case."""
    name, position = _topic_values(actor=actor, name=name, position=position)
    topic = Topic(tenant_id=actor.tenant_id, name=name, position=position)
    _save_topic(topic)
    return topic


@transaction.atomic
def topic_update(*, actor: User, topic: Topic, name: str, position: int) -> Topic:
    """Rename or move a topic of the actor's tenant."""
    _same_tenant(actor, topic.tenant_id)
    topic.name, topic.position = _topic_values(actor=actor, name=name, position=position, topic=topic)
    _save_topic(topic, update_fields=["name", "position", "updated_at"])
    return topic


@transaction.atomic
def topic_delete(*, actor: User, topic: Topic) -> None:
    """Delete a topic; the experts who served it keep their other topics."""
    _same_tenant(actor, topic.tenant_id)
    topic.delete()


@transaction.atomic
def expert_widget_update(
    *, actor: User, profile: ExpertProfile, topics: Iterable[Topic], page_include: str, page_exclude: str
) -> ExpertProfile:
    """Set which of the tenant's topics an expert serves and on which website pages they are offered."""
    _same_tenant(actor, profile.tenant_id)
    topics = list(topics)
    if any(topic.tenant_id != profile.tenant_id for topic in topics):
        raise NotFound(_("No such topic."))
    try:
        profile.page_include = clean_path_patterns(page_include)
        profile.page_exclude = clean_path_patterns(page_exclude)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None
    profile.save(update_fields=["page_include", "page_exclude", "updated_at"])
    profile.topics.set(topics)
    return profile
