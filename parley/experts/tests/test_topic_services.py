import pytest

from parley.core.exceptions import ApplicationError, NotFound
from parley.core.testing import World
from parley.experts.models import ExpertProfile, Topic
from parley.experts.selectors import access_member_expert_profile, access_topic, topic_list, topic_next_position
from parley.experts.services import expert_widget_update, topic_create, topic_delete, topic_update


def test_a_topic_belongs_to_the_actors_tenant(world: World):
    topic = topic_create(actor=world.acme_admin, name=" Home   loans ", position=3)
    assert (topic.tenant_id, topic.name, topic.position) == (world.acme.id, "Home loans", 3)
    assert list(topic_list(tenant=world.acme)) == [topic]
    assert list(topic_list(tenant=world.globex)) == []
    assert topic_next_position(tenant=world.acme) == 4
    assert topic_next_position(tenant=world.globex) == 0


def test_topic_names_are_unique_per_tenant_ignoring_case(world: World):
    topic_create(actor=world.acme_admin, name="Mortgages", position=0)
    with pytest.raises(ApplicationError, match="already a topic"):
        topic_create(actor=world.acme_admin, name="MORTGAGES", position=1)
    topic_create(actor=world.globex_admin, name="Mortgages", position=0)
    assert Topic.objects.count() == 2


def test_a_topic_of_another_tenant_is_not_found(world: World):
    topic = topic_create(actor=world.acme_admin, name="Mortgages", position=0)
    assert access_topic(actor=world.acme_admin, topic_id=topic.id) == topic
    with pytest.raises(NotFound):
        access_topic(actor=world.globex_admin, topic_id=topic.id)
    with pytest.raises(NotFound):
        topic_update(actor=world.globex_admin, topic=topic, name="Hacked", position=0)
    with pytest.raises(NotFound):
        topic_delete(actor=world.globex_admin, topic=topic)
    topic.refresh_from_db()
    assert topic.name == "Mortgages"


def test_an_expert_can_only_serve_topics_of_their_tenant(world: World):
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    foreign = topic_create(actor=world.globex_admin, name="Globex", position=0)
    with pytest.raises(NotFound):
        expert_widget_update(actor=world.acme_admin, profile=profile, topics=[foreign], page_include="", page_exclude="")
    assert not profile.topics.exists()


def test_the_expert_widget_service_validates_patterns_and_stores_nothing_on_error(world: World):
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    topic = topic_create(actor=world.acme_admin, name="Mortgages", position=0)
    with pytest.raises(ApplicationError, match="Line 1"):
        expert_widget_update(actor=world.acme_admin, profile=profile, topics=[topic], page_include="loans", page_exclude="")
    profile = ExpertProfile.objects.get(pk=profile.pk)
    assert (profile.page_include, profile.topics.count()) == ("", 0)
    expert_widget_update(actor=world.acme_admin, profile=profile, topics=[topic], page_include="/loans/*", page_exclude="")
    assert list(ExpertProfile.objects.get(pk=profile.pk).topics.all()) == [topic]


def test_the_expert_profile_of_another_tenants_account_is_not_found(world: World):
    assert access_member_expert_profile(actor=world.acme_admin, user_id=world.acme_expert.id).user == world.acme_expert
    with pytest.raises(NotFound):
        access_member_expert_profile(actor=world.globex_admin, user_id=world.acme_expert.id)
    with pytest.raises(NotFound):
        access_member_expert_profile(actor=world.acme_admin, user_id=world.acme_admin.id)
