"""P10 anonymous statistics: counted at write time into daily aggregates, no IP address, e-mail, name or id of a
customer, interaction, user or token; cells under 5 hidden; rolled-back writes not counted; P25: 14 months."""

import re
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client

from parley.core.testing import client_for
from parley.experts.models import ExpertProfile, Topic
from parley.interactions.models import Interaction, Message, Side, VisitorAccess
from parley.interactions.services import document_post, interaction_start, message_post
from parley.interactions.tests.conftest import png_bytes
from parley.scheduling.models import Appointment
from parley.scheduling.services import appointment_book, appointment_cancel
from parley.scheduling.tests.conftest import bookable, next_monday_utc  # noqa: F401 (fixture)
from parley.stats.models import DailyCount, Dimension, Metric
from parley.stats.selectors import suppress
from parley.stats.services import (
    FORMER_EXPERT,
    page_normalise,
    stats_call_ended,
    stats_count,
    stats_cutoff,
    stats_prune,
)

API = "/api/v1/widget"
CUSTOMERS = [(f"Customer Number{i}", f"customer{i}@example.test", f"203.0.113.{10 + i}") for i in range(6)]


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _total(metric: str, bucket: str | None = None) -> int:
    rows = DailyCount.objects.filter(metric=metric, dimension=Dimension.ALL)
    if bucket is not None:
        rows = rows.filter(bucket=bucket)
    return sum(rows.values_list("count", flat=True))


def _by(dimension: str, metric: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for value, count in DailyCount.objects.filter(metric=metric, dimension=dimension).values_list("value", "count"):
        out[value] = out.get(value, 0) + count
    return out


def test_p10_a_scripted_day_of_traffic_is_counted_and_the_counters_hold_no_identifier(
    world,
    bookable,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    kind, profile = bookable
    topic = Topic.objects.create(tenant=world.acme, name="Mortgages")
    secrets: set[str] = set()
    interactions = []
    with django_capture_on_commit_callbacks(execute=True):
        # Six visitors start conversations through the web app's API, from pages with ids, queries and fragments.
        pages = ["/loans/4711/offer?email=carla@example.test", "/loans/4712/offer#top", "/Insurance/", "/insurance"]
        for i, (name, email, ip) in enumerate(CUSTOMERS):
            body = {
                "expert_id": str(profile.id),
                "topic_id": str(topic.id) if i < 4 else None,
                "name": name,
                "email": email,
                "message": f"Hello, this is {name}",
                "page": pages[i % len(pages)],
            }
            response = Client(REMOTE_ADDR=ip).post(f"{API}/acme/conversations", body, content_type="application/json")
            assert response.status_code == 201, response.content
            secrets |= {name, email, ip, response.json()["token"]}
            interactions.append(Interaction.objects.get(id=response.json()["conversation"]["id"]))
        # Each gets a second customer message; the first five get an expert reply: the first reply waited 10 minutes.
        for i, interaction in enumerate(interactions):
            message_post(interaction=interaction, sender=Side.CUSTOMER, body="One more thing")
            if i < 5:
                Message.objects.filter(interaction=interaction, seq=1).update(
                    created_at=datetime.now(UTC) - timedelta(minutes=10)
                )
                message_post(interaction=interaction, sender=Side.EXPERT, body="Happy to help", author=world.acme_expert)
        message_post(interaction=interactions[0], sender=Side.EXPERT, body="Anything else?", author=world.acme_expert)
        document_post(interaction=interactions[0], sender=Side.CUSTOMER, filename="carla-passport.png", data=png_bytes())
        document_post(
            interaction=interactions[1], sender=Side.EXPERT, filename="offer.png", data=png_bytes(), author=world.acme_expert
        )
        # An appointment booked and cancelled by the customer.
        appointment, manage_token, visitor_token = appointment_book(
            tenant=world.acme,
            appointment_type_id=kind.id,
            starts_at=next_monday_utc(10),
            name="Bob Booker",
            email="bob.booker@example.test",
            expert_profile_id=profile.id,
        )
        appointment_cancel(appointment=appointment)
        secrets |= {"Bob Booker", "bob.booker@example.test", manage_token, visitor_token, str(appointment.id)}
        # A video call of about 7 minutes ended (what the expert's call socket calls, see the consumer test below).
        stats_call_ended(interaction_id=interactions[0].id, seconds=7 * 60, video=True)

    # The counts.
    assert _total(Metric.CONVERSATION_STARTED) == 6
    assert _total(Metric.MESSAGE_CUSTOMER) == 12
    assert _total(Metric.MESSAGE_EXPERT) == 6
    assert _total(Metric.DOCUMENT_SHARED) == 2
    assert _total(Metric.APPOINTMENT_BOOKED) == 1
    assert _total(Metric.APPOINTMENT_CANCELLED) == 1
    assert _total(Metric.CALL) == _total(Metric.CALL, "5-15") == 1
    assert _total(Metric.FIRST_RESPONSE) == _total(Metric.FIRST_RESPONSE, "5-15") == 5
    assert _by(Dimension.PAGE, Metric.CONVERSATION_STARTED) == {"/loans/*/offer": 4, "/insurance": 2}
    assert _by(Dimension.EXPERT, Metric.CONVERSATION_STARTED) == {str(profile.id): 6}
    assert _by(Dimension.TOPIC, Metric.CONVERSATION_STARTED) == {str(topic.id): 4}
    assert _by(Dimension.MEDIA, Metric.CALL) == {"video": 1}
    assert Dimension.EXPERT not in set(
        DailyCount.objects.filter(metric=Metric.FIRST_RESPONSE).values_list("dimension", flat=True)
    )
    assert not DailyCount.objects.filter(dimension=Dimension.EXPERT).exclude(bucket="").exists()  # no per-person times
    assert set(DailyCount.objects.values_list("day", flat=True)) == {datetime.now(UTC).date()}

    # No identifier: every column of every row against every value used, and against patterns.
    for model_ids in (
        Interaction.objects.values_list("id", flat=True),
        Message.objects.values_list("id", flat=True),
        VisitorAccess.objects.values_list("id", flat=True),
        VisitorAccess.objects.values_list("token_hash", flat=True),
        Appointment.objects.values_list("id", flat=True),
        world.acme.memberships.values_list("user_id", flat=True) if hasattr(world.acme, "memberships") else [],
        [world.acme_admin.id, world.acme_expert.id, world.globex_admin.id, world.globex_expert.id],
    ):
        for value in model_ids:
            secrets |= {str(value), uuid.UUID(str(value)).hex} if _is_uuid(value) else {str(value)}
    secrets |= {"Carla", "carla@example.test", "passport", "Eve Expert", "eve@acme.test", "127.0.0.1"}
    allowed_ids = {str(profile.id), str(topic.id), str(world.acme.id)}
    ip = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}", re.I)
    uuid_like = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
    columns = [f.column for f in DailyCount._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {DailyCount._meta.db_table}")  # noqa: S608 (names from _meta)
        raw = cursor.fetchall()
    assert len(raw) > 20
    for row in raw:
        for cell in row:
            text = str(cell)
            for secret in secrets:
                assert secret.lower() not in text.lower(), (secret, row)
            assert "@" not in text
            assert not ip.search(text) or text.count(":") < 2 and not re.search(r"\d+\.\d+\.\d+\.\d+", text), row
            for found in uuid_like.findall(text):
                assert str(uuid.UUID(found)) in allowed_ids, row


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def test_p10_cells_under_five_are_hidden_on_the_statistics_page(world, django_capture_on_commit_callbacks):
    tenant = world.acme.id
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            stats_count(tenant_id=tenant, metric=Metric.CONVERSATION_STARTED, dims={Dimension.PAGE: "/common"})
        for _ in range(2):
            stats_count(tenant_id=tenant, metric=Metric.CONVERSATION_STARTED, dims={Dimension.PAGE: "/customers/john-smith"})
        for _ in range(3):
            stats_count(tenant_id=tenant, metric=Metric.MESSAGE_EXPERT)
        for _ in range(9):
            stats_count(tenant_id=tenant, metric=Metric.MESSAGE_CUSTOMER)
    response = client_for(world.acme_admin).get("/t/acme/admin/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _total_shown(html, "conversation_started") == "7"
    assert _total_shown(html, "message_customer") == "9"
    assert _total_shown(html, "message_expert") == "&lt; 5"  # a total under 5 is hidden too
    assert _total_shown(html, "call") == "&lt; 5"  # zero as well
    page_table = re.search(r'data-table="page">(.*?)</table>', html, re.S).group(1)
    assert "john-smith" not in html  # a rare page is not even named: it is folded into "Others"
    assert "Others" in page_table
    # 2 hidden could be derived as 7 - 5: so the 5 is hidden as well.
    assert re.findall(r'<td class="n[^"]*">([^<]*)</td>', page_table) == ["&lt; 5", "&lt; 5"]
    per_day = re.search(r'data-table="per-day">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td class="n[^"]*">([^<]*)</td>', per_day)[-1] == "7"  # today
    assert set(re.findall(r'<td class="n[^"]*">([^<]*)</td>', per_day)[:-1]) == {"&lt; 5"}  # days with 0


def _total_shown(html: str, metric: str) -> str:
    found = re.search(rf'data-metric="{metric}"><span class="n[^"]*">([^<]*)</span>', html)
    assert found is not None
    return found.group(1)


def test_p10_suppression_hides_cells_that_could_be_worked_out_from_the_total():
    assert suppress([9, 3], 12) == [True, True]  # 3 alone would be 12 - 9
    assert suppress([9, 6, 3], 18) == [False, True, True]
    assert suppress([9, 6, 3, 2], 20) == [False, False, True, True]  # 3 + 2: only their sum is known
    assert suppress([7, 8], 15) == [False, False]
    assert suppress([1, 2], 3) == [True, True]
    assert suppress([0, 0, 6], 6) == [True, True, False]  # zeros reveal nobody


def test_p10_the_page_keeps_only_a_path_without_ids(db):
    assert page_normalise("/loans/4711/offer?email=a@b.test#x") == "/loans/*/offer"
    assert page_normalise("/Insurance/") == "/insurance"
    assert page_normalise("/u/carla%40example.test/") == "/u/*"
    assert page_normalise("/t/" + "a" * 41) == "/t/*"
    assert page_normalise("/a/b/c/d/e/f/g/h") == "/a/b/c/d/e/f/*"
    assert page_normalise("https://evil.test/x") == "/"
    assert page_normalise("//evil.test/x") == "/"
    assert page_normalise(None) == "/"
    assert len(page_normalise("/" + "/".join(["abcdefghij"] * 30))) <= 200


@pytest.mark.django_db(transaction=True)
def test_p10_a_rolled_back_write_counts_nothing():
    from parley.core.testing import make_world

    world = make_world()
    profile = ExpertProfile.objects.get(user=world.acme_expert)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        interaction_start(tenant=world.acme, expert_profile_id=profile.id, name="Rolf Back", email="r@b.test", body="Hi")
        raise Abort
    assert not DailyCount.objects.exists()
    with transaction.atomic():
        interaction_start(tenant=world.acme, expert_profile_id=profile.id, name="Co Mitted", email="c@m.test", body="Hi")
        with pytest.raises(Abort), transaction.atomic():  # a rolled-back savepoint inside a committed transaction
            message_post(interaction=Interaction.objects.get(), sender=Side.CUSTOMER, body="lost")
            raise Abort
    assert _total(Metric.CONVERSATION_STARTED) == 1
    assert _total(Metric.MESSAGE_CUSTOMER) == 1


@pytest.mark.django_db(transaction=True)
def test_p10_concurrent_increments_lose_no_count():
    from parley.tenants.services import tenant_create

    tenant = tenant_create(slug="busy", name="Busy")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                stats_count(tenant_id=tenant.id, metric=Metric.MESSAGE_CUSTOMER, dims={Dimension.PAGE: "/x"})
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _total(Metric.MESSAGE_CUSTOMER) == 200
    assert DailyCount.objects.filter(metric=Metric.MESSAGE_CUSTOMER).count() == 2  # the total and the page row


def test_p10_one_counter_per_tenant_day_metric_dimension_value_and_bucket(world):
    key = {"tenant": world.acme, "day": date(2026, 1, 1), "metric": Metric.CALL, "dimension": "", "value": "", "bucket": "lt1"}
    DailyCount.objects.create(**key, count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyCount.objects.create(**key, count=1)


def test_p10_only_the_tenants_administrators_see_the_statistics(world):
    assert client_for(world.acme_admin).get("/t/acme/admin/stats/").status_code == 200
    assert client_for(world.acme_expert).get("/t/acme/admin/stats/").status_code == 403
    assert client_for(world.globex_admin).get("/t/acme/admin/stats/").status_code == 404
    assert Client().get("/t/acme/admin/stats/").status_code == 302


def test_p10_a_range_of_more_than_14_months_or_backwards_is_refused(world):
    client = client_for(world.acme_admin)
    assert client.get("/t/acme/admin/stats/", {"start": "2025-01-01", "end": "2026-04-01"}).status_code == 400
    assert client.get("/t/acme/admin/stats/", {"start": "2026-02-01", "end": "2026-01-01"}).status_code == 400
    assert client.get("/t/acme/admin/stats/", {"start": "2025-02-01", "end": "2026-04-01", "metric": "call"}).status_code == 200


def test_p25_counters_older_than_14_months_are_deleted_by_housekeeping(world):
    from parley.core.housekeeping import housekeeping_run

    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    cutoff = stats_cutoff(now)
    assert cutoff == date(2025, 9, 27)
    for day in (cutoff - timedelta(days=1), cutoff):
        DailyCount.objects.create(tenant=world.acme, day=day, metric=Metric.CALL, count=7)
    assert stats_prune(now) == 1
    assert list(DailyCount.objects.values_list("day", flat=True)) == [cutoff]
    DailyCount.objects.update(day=stats_cutoff() - timedelta(days=1))
    assert housekeeping_run()["stats"] == 1  # the hourly housekeeping prunes with the real clock
    assert not DailyCount.objects.exists()


def test_p09_an_erased_experts_counters_no_longer_name_them(world, django_capture_on_commit_callbacks):
    from parley.accounts.services import user_erase

    profile = ExpertProfile.objects.get(user=world.acme_expert)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            interaction_start(tenant=world.acme, expert_profile_id=profile.id, name="Ann Other", email="a@o.test", body="Hi")
    assert _by(Dimension.EXPERT, Metric.CONVERSATION_STARTED) == {str(profile.id): 6}
    user_erase(actor=world.acme_admin, user=world.acme_expert)
    assert not DailyCount.objects.filter(value=str(profile.id)).exists()
    assert _by(Dimension.EXPERT, Metric.CONVERSATION_STARTED) == {FORMER_EXPERT: 6}
    assert _total(Metric.CONVERSATION_STARTED) == 6  # the anonymous totals stay
    html = client_for(world.acme_admin).get("/t/acme/admin/stats/").content.decode()
    assert "Former expert" in html
