from datetime import time, timedelta

import pytest

from parley.accounts.models import User
from parley.accounts.services import user_create
from parley.core.testing import PASSWORD, World
from parley.experts.models import ExpertProfile, Topic
from parley.scheduling.models import WeeklyHours
from parley.scheduling.services import SlotTaken, appointment_book
from parley.scheduling.tests.conftest import next_monday_utc


def test_p27_the_first_free_expert_is_chosen_by_an_explicit_rule(world: World, bookable) -> None:
    """P27: "the first free expert" of a topic is the earliest-created active expert of the topic who is free at
    that time; nothing about the person (ratings, history, past conversations) enters the choice."""
    kind, eve = bookable
    topic = Topic.objects.create(tenant=world.acme, name="Mortgages")
    finn = user_create(tenant=world.acme, name="Finn First", email="finn@acme.test", password=PASSWORD, role="expert")
    finn.timezone = "Europe/Zurich"
    finn.save(update_fields=["timezone"])
    for weekday in range(5):
        WeeklyHours.objects.create(expert=finn, weekday=weekday, start=time(9), end=time(17))
    for profile in (ExpertProfile.objects.get(user=finn), eve):
        profile.topics.add(topic)
    # Finn's profile is the older one: the rule, not the order of this test, decides.
    ExpertProfile.objects.filter(user=finn).update(created_at=eve.created_at - timedelta(days=30))

    def book(name: str) -> User | None:
        appointment, _manage, _visitor = appointment_book(
            tenant=world.acme,
            appointment_type_id=kind.id,
            starts_at=next_monday_utc(10),
            name=name,
            email=f"{name.lower()}@example.test",
            topic_id=topic.id,
        )
        return appointment.expert

    assert book("Ann") == finn  # both free: the expert whose profile is the oldest
    assert book("Ben") == world.acme_expert  # he is booked then: the next one in the same order
    with pytest.raises(SlotTaken):
        book("Cem")  # nobody is free: refused, not assigned by any other rule
