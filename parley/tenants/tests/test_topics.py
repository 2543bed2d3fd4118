import uuid

from parley.core.testing import World, client_for
from parley.experts.models import ExpertProfile, Topic
from parley.experts.services import topic_create

URL = "/t/acme/admin/topics/"


def _topic(world: World, name: str = "Mortgages", position: int = 0, tenant: str = "acme") -> Topic:
    actor = world.acme_admin if tenant == "acme" else world.globex_admin
    return topic_create(actor=actor, name=name, position=position)


def test_an_admin_adds_topics_that_are_listed_in_order(world: World):
    client = client_for(world.acme_admin)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"name": "  Savings  ", "position": 2}).status_code == 302
    assert client.post(URL, {"name": "Mortgages", "position": 1}).status_code == 302
    html = client.get(URL).content.decode()
    assert "The topic “Mortgages” was added." in html
    table = html[html.index("<table") :]
    assert table.index("Mortgages") < table.index("Savings")
    assert list(Topic.objects.filter(tenant=world.acme).values_list("name", "position")) == [("Mortgages", 1), ("Savings", 2)]
    assert 'href="/t/acme/admin/widget/"' in html


def test_a_new_topic_is_proposed_after_the_last_one(world: World):
    _topic(world, position=7)
    html = client_for(world.acme_admin).get(URL).content.decode()
    assert 'name="position" value="8"' in html


def test_topic_names_are_unique_per_tenant_with_a_clear_error(world: World):
    _topic(world, "Mortgages")
    response = client_for(world.acme_admin).post(URL, {"name": "mortgages", "position": 3})
    assert response.status_code == 400
    assert "There is already a topic called “mortgages”." in response.content.decode()
    assert Topic.objects.filter(tenant=world.acme).count() == 1
    # Another tenant may use the same name.
    assert client_for(world.globex_admin).post("/t/globex/admin/topics/", {"name": "Mortgages", "position": 0}).status_code == 302


def test_an_empty_topic_name_is_refused(world: World):
    response = client_for(world.acme_admin).post(URL, {"name": "   ", "position": 0})
    assert response.status_code == 400
    assert not Topic.objects.exists()


def test_an_admin_renames_and_moves_a_topic(world: World):
    topic = _topic(world, "Mortgage")
    url = f"/t/acme/admin/topics/{topic.id}/"
    client = client_for(world.acme_admin)
    assert 'value="Mortgage"' in client.get(url).content.decode()
    assert client.post(url, {"name": "Mortgages", "position": 5}).status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.position) == ("Mortgages", 5)
    # Keeping its own name (another case) is fine; taking another topic's name is not.
    assert client.post(url, {"name": "MORTGAGES", "position": 5}).status_code == 302
    _topic(world, "Savings")
    response = client.post(url, {"name": "Savings", "position": 5})
    assert response.status_code == 400
    assert "There is already a topic called “Savings”." in response.content.decode()
    topic.refresh_from_db()
    assert topic.name == "MORTGAGES"


def test_an_admin_deletes_a_topic_and_its_experts_keep_the_others(world: World):
    mortgages, savings = _topic(world, "Mortgages"), _topic(world, "Savings")
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    profile.topics.set([mortgages, savings])
    client = client_for(world.acme_admin)
    assert client.get(f"/t/acme/admin/topics/{mortgages.id}/delete/").status_code == 405
    assert client.post(f"/t/acme/admin/topics/{mortgages.id}/delete/").status_code == 302
    assert not Topic.objects.filter(pk=mortgages.pk).exists()
    assert list(profile.topics.all()) == [savings]


def test_an_expert_gets_403_on_the_topic_pages(world: World):
    topic = _topic(world)
    client = client_for(world.acme_expert)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Pensions", "position": 0}).status_code == 403
    assert client.get(f"/t/acme/admin/topics/{topic.id}/").status_code == 403
    assert client.post(f"/t/acme/admin/topics/{topic.id}/", {"name": "X", "position": 0}).status_code == 403
    assert client.post(f"/t/acme/admin/topics/{topic.id}/delete/").status_code == 403
    assert list(Topic.objects.values_list("name", flat=True)) == ["Mortgages"]


def test_another_tenants_admin_can_neither_see_nor_change_the_topics(world: World):
    topic = _topic(world, "Acme secret topic")
    client = client_for(world.globex_admin)
    assert client.get(URL).status_code == 404
    assert "Acme secret topic" not in client.get("/t/globex/admin/topics/").content.decode()
    # Acme's topic through Globex's own portal and through Acme's: 404 as if it did not exist.
    for slug in ("globex", "acme"):
        assert client.get(f"/t/{slug}/admin/topics/{topic.id}/").status_code == 404
        assert client.post(f"/t/{slug}/admin/topics/{topic.id}/", {"name": "Hacked", "position": 0}).status_code == 404
        assert client.post(f"/t/{slug}/admin/topics/{topic.id}/delete/").status_code == 404
    topic.refresh_from_db()
    assert topic.name == "Acme secret topic"


def test_an_unknown_topic_gets_the_same_404(world: World):
    client = client_for(world.acme_admin)
    assert client.get(f"/t/acme/admin/topics/{uuid.uuid4()}/").status_code == 404
    assert client.post(f"/t/acme/admin/topics/{uuid.uuid4()}/delete/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_from_the_topic_pages(world: World):
    from django.test import Client

    topic = _topic(world)
    for url in (URL, f"/t/acme/admin/topics/{topic.id}/"):
        assert Client().get(url)["Location"] == "/t/acme/login/"
    assert Client().post(f"/t/acme/admin/topics/{topic.id}/delete/")["Location"] == "/t/acme/login/"
    assert Topic.objects.filter(pk=topic.pk).exists()
