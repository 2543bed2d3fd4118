from datetime import timedelta

from django.utils import timezone

from parley.core.testing import World
from parley.experts.models import ExpertProfile
from parley.interactions.models import Message, Side
from parley.interactions.services import interaction_start, message_post
from parley.stats.models import Bucket, DailyCount, Dimension, Metric
from parley.stats.services import stats_call_ended


def test_p27_statistics_never_break_durations_or_waiting_times_down_per_expert(
    world: World, django_capture_on_commit_callbacks
) -> None:
    """P27: an expert's counters are volumes only. The waiting time before their first reply and the length of their
    call are counted into the tenant's buckets, never into a row that names the expert (that would score staff)."""
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    with django_capture_on_commit_callbacks(execute=True):
        interaction, _token, _first = interaction_start(
            tenant=world.acme, expert_profile_id=profile.id, name="Carla Customer", email="carla@example.test", body="Hi"
        )
        Message.objects.filter(interaction=interaction).update(created_at=timezone.now() - timedelta(minutes=10))
        message_post(interaction=interaction, sender=Side.EXPERT, body="Hello Carla", author=world.acme_expert)
        stats_call_ended(interaction_id=interaction.id, seconds=75 * 60, video=True)

    expert_rows = DailyCount.objects.filter(dimension=Dimension.EXPERT, value=str(profile.id))
    assert set(expert_rows.values_list("metric", flat=True)) == {
        Metric.CONVERSATION_STARTED,
        Metric.MESSAGE_CUSTOMER,
        Metric.MESSAGE_EXPERT,
        Metric.CALL,
    }
    assert set(expert_rows.values_list("bucket", flat=True)) == {""}  # volumes, no duration or waiting time
    assert DailyCount.objects.get(metric=Metric.FIRST_RESPONSE, dimension=Dimension.ALL).bucket == Bucket.FROM_5_TO_15
    assert DailyCount.objects.filter(metric=Metric.CALL, dimension=Dimension.ALL, bucket=Bucket.OVER_60).exists()
    assert not DailyCount.objects.filter(metric=Metric.FIRST_RESPONSE, dimension=Dimension.EXPERT).exists()
