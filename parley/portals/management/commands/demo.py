import os
import secrets
from datetime import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from parley.accounts.models import User
from parley.accounts.services import password_set, user_create, user_get_by_email
from parley.experts.models import ExpertProfile, Topic
from parley.experts.services import expert_profile_update, expert_status_set, expert_widget_update, topic_create
from parley.scheduling.models import AppointmentType, WeeklyHours
from parley.tenants.models import Tenant
from parley.tenants.origins import normalise_origin
from parley.tenants.services import tenant_create, tenant_widget_update

DEMO_ADMIN = "admin@demo.parley.test"
DEMO_EXPERTS: list[tuple[str, str, list[str], str]] = [
    ("Anna Keller", "anna.keller@demo.parley.test", ["de", "en"], "Mortgages and home financing."),
    ("Marc Dubois", "marc.dubois@demo.parley.test", ["fr", "en"], "Retirement planning and pensions."),
]
# Topics of the demo web app and the experts who serve them (by e-mail).
DEMO_TOPICS: list[tuple[str, list[str]]] = [
    ("Loans", ["anna.keller@demo.parley.test"]),
    ("Insurance", ["marc.dubois@demo.parley.test"]),
]
# What customers can book in the web app: (name, channel, minutes).
DEMO_APPOINTMENT_TYPES: list[tuple[str, str, int]] = [
    ("Video consultation", AppointmentType.Channel.VIDEO, 30),
    ("Phone call", AppointmentType.Channel.PHONE, 15),
]
DEMO_WORKING_HOURS = (time(9), time(17))  # Monday to Friday, in each expert's own time zone


def demo_password() -> str:
    """PARLEY_DEMO_PASSWORD, else one generated on first run and kept in the data directory (mode 0600)."""
    if os.environ.get("PARLEY_DEMO_PASSWORD"):
        return os.environ["PARLEY_DEMO_PASSWORD"]
    path = settings.DATA_DIR / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create or refresh the demo tenant 'demo' (Demo Bank) with an administrator and two experts; print the logins."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        password = demo_password()
        tenant = Tenant.objects.filter(slug="demo").first()
        if tenant is None:
            tenant = tenant_create(
                slug="demo",
                name="Demo Bank",
                controller_contact="Demo Bank AG, Bahnhofstrasse 1, 8001 Zürich, privacy@demo.parley.test",
                dpo_contact="Data Protection Officer, dpo@demo.parley.test",
            )
        users: dict[str, User] = {}
        accounts: list[tuple[str, str, str, list[str] | None, str]] = [("Demo Admin", DEMO_ADMIN, "admin", None, "")] + [
            (name, email, "expert", langs, text) for name, email, langs, text in DEMO_EXPERTS
        ]
        for name, email, role, languages, description in accounts:
            user = user_get_by_email(tenant=tenant, email=email)
            if user is None:
                user = user_create(tenant=tenant, name=name, email=email, password=password, role=role, language="en")
            else:
                password_set(user=user, password=password)
            users[email] = user
            if languages:
                profile = ExpertProfile.objects.get(user=user)
                expert_profile_update(profile=profile, description=description, languages=languages)
                expert_status_set(profile=profile, status="online")
        demo_website_setup(tenant=tenant, users=users)
        demo_appointments_setup(tenant=tenant, experts=[users[email] for _n, email, _l, _t in DEMO_EXPERTS])
        base = settings.PARLEY_BASE_URL
        self.stdout.write("Demo tenant 'demo' (Demo Bank) is ready.")
        self.stdout.write(f"  Admin portal:  {base}/t/demo/login/  {DEMO_ADMIN} / {password}")
        for _name, email, _, _ in DEMO_EXPERTS:
            self.stdout.write(f"  Expert portal: {base}/t/demo/login/  {email} / {password}")
        self.stdout.write(f"  Demo website:  {base}/demo/  (embeds the web app)")


def demo_website_setup(*, tenant: Tenant, users: dict[str, User]) -> None:
    """Topics for the web app, and Parley's own address as an embedding website so that /demo/ may frame it."""
    admin = users[DEMO_ADMIN]
    for position, (name, emails) in enumerate(DEMO_TOPICS, start=1):
        topic = Topic.objects.filter(tenant=tenant, name=name).first() or topic_create(actor=admin, name=name, position=position)
        for profile in ExpertProfile.objects.filter(user__in=[users[email] for email in emails]):
            topics = {*profile.topics.all(), topic}
            expert_widget_update(
                actor=admin, profile=profile, topics=topics, page_include=profile.page_include, page_exclude=profile.page_exclude
            )
    origin = normalise_origin(settings.PARLEY_BASE_URL)
    if origin not in tenant.website_origin_list():
        tenant_widget_update(
            actor=admin,
            tenant=tenant,
            website_origins="\n".join([*tenant.website_origin_list(), origin]),
            privacy_notice_url=tenant.privacy_notice_url,
            proactive_delay_seconds=tenant.proactive_delay_seconds,
            proactive_text=tenant.proactive_text,
            proactive_pages=tenant.proactive_pages,
            document_max_mb=tenant.document_max_mb,
            document_types=tenant.document_types,
        )


def demo_appointments_setup(*, tenant: Tenant, experts: list[User]) -> None:
    """The demo's appointment types, and weekly hours for experts who have none yet (what an expert set is kept)."""
    for position, (name, channel, minutes) in enumerate(DEMO_APPOINTMENT_TYPES, start=1):
        AppointmentType.objects.get_or_create(
            tenant=tenant, name=name, defaults={"channel": channel, "duration_minutes": minutes, "position": position}
        )
    start, end = DEMO_WORKING_HOURS
    for expert in experts:
        if not WeeklyHours.objects.filter(expert=expert).exists():
            WeeklyHours.objects.bulk_create(WeeklyHours(expert=expert, weekday=day, start=start, end=end) for day in range(5))
