import uuid

from parley.core.testing import World, client_for
from parley.experts.models import ExpertProfile
from parley.experts.services import topic_create


def _url(world: World, slug: str = "acme", user_id=None) -> str:
    return f"/t/{slug}/admin/people/{user_id or world.acme_expert.id}/widget/"


def test_the_people_list_links_each_expert_to_their_widget_settings(world: World):
    html = client_for(world.acme_admin).get("/t/acme/admin/people/").content.decode()
    assert f'href="{_url(world)}"' in html
    assert f"/admin/people/{world.acme_admin.id}/widget/" not in html  # administrators have no expert profile


def test_an_admin_chooses_an_experts_topics_and_pages(world: World):
    mortgages = topic_create(actor=world.acme_admin, name="Mortgages", position=0)
    topic_create(actor=world.acme_admin, name="Savings", position=1)
    client = client_for(world.acme_admin)
    html = client.get(_url(world)).content.decode()
    assert "Mortgages" in html and "Savings" in html
    response = client.post(
        _url(world),
        {"topics": [str(mortgages.id)], "page_include": " /mortgages/*\n\n/contact\n/contact", "page_exclude": "/mortgages/jobs"},
    )
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    assert list(profile.topics.all()) == [mortgages]
    assert (profile.page_include, profile.page_exclude) == ("/mortgages/*\n/contact", "/mortgages/jobs")
    # Unticking every topic and clearing the patterns: every page, no topic.
    assert client.post(_url(world), {"page_include": "", "page_exclude": ""}).status_code == 302
    profile.refresh_from_db()
    assert (list(profile.topics.all()), profile.page_include, profile.page_exclude) == ([], "", "")


def test_without_topics_the_page_says_where_to_add_them(world: World):
    html = client_for(world.acme_admin).get(_url(world)).content.decode()
    assert 'href="/t/acme/admin/topics/"' in html


def test_only_the_tenants_own_topics_are_offered_and_accepted(world: World):
    foreign = topic_create(actor=world.globex_admin, name="Globex topic", position=0)
    client = client_for(world.acme_admin)
    assert "Globex topic" not in client.get(_url(world)).content.decode()
    response = client.post(_url(world), {"topics": [str(foreign.id)], "page_include": "", "page_exclude": ""})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ExpertProfile.objects.get(user=world.acme_expert).topics.exists()


def test_a_bad_page_pattern_is_refused_naming_the_line_and_nothing_is_stored(world: World):
    topic = topic_create(actor=world.acme_admin, name="Mortgages", position=0)
    response = client_for(world.acme_admin).post(
        _url(world), {"topics": [str(topic.id)], "page_include": "/ok", "page_exclude": "/fine\nhttps://www.acme.test/jobs"}
    )
    assert response.status_code == 400
    assert "Line 2 (“https://www.acme.test/jobs”)" in response.content.decode()
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    assert (profile.page_include, profile.page_exclude, profile.topics.count()) == ("", "", 0)


def test_an_expert_gets_403_on_the_expert_widget_page(world: World):
    client = client_for(world.acme_expert)
    assert client.get(_url(world)).status_code == 403
    assert client.post(_url(world), {"page_include": "/x"}).status_code == 403
    assert ExpertProfile.objects.get(user=world.acme_expert).page_include == ""


def test_another_tenants_admin_gets_404_for_the_expert_widget_page(world: World):
    client = client_for(world.globex_admin)
    for slug in ("globex", "acme"):
        assert client.get(_url(world, slug)).status_code == 404
        assert client.post(_url(world, slug), {"page_include": "/x"}).status_code == 404
    assert ExpertProfile.objects.get(user=world.acme_expert).page_include == ""


def test_an_administrator_or_unknown_account_has_no_expert_widget_page(world: World):
    client = client_for(world.acme_admin)
    assert client.get(_url(world, user_id=world.acme_admin.id)).status_code == 404
    assert client.get(_url(world, user_id=uuid.uuid4())).status_code == 404
