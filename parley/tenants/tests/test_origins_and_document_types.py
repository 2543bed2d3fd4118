import pytest
from django.core.exceptions import ValidationError

from parley.tenants.document_types import DOCUMENT_TYPES, allowed_mime_types, document_type_choices, max_document_bytes
from parley.tenants.models import Tenant
from parley.tenants.origins import MAX_ORIGINS, OriginError, clean_origins, normalise_origin


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("https://www.example.com/", "https://www.example.com"),
        ("  HTTPS://WWW.Example.COM  ", "https://www.example.com"),
        ("https://www.example.com:443", "https://www.example.com"),
        ("http://www.example.com:80/", "http://www.example.com"),
        ("https://www.example.com:8443", "https://www.example.com:8443"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_an_origin_is_normalised_as_a_browser_sends_it(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("www.example.com", "starts with https://"),
        ("ftp://www.example.com", "starts with https://"),
        ("https:www.example.com", "starts with https://"),
        ("https://www.example.com/loans", "remove the path “/loans”"),
        ("https://www.example.com/?a=1", "query"),
        ("https://www.example.com#top", "fragment"),
        ("https://user:pw@www.example.com", "user name"),
        ("https://", "host name is missing"),
        ("https://*.example.com", "wildcards"),
        ("https://www.example.com:99999", "port"),
        ("https://www.example.com:abc", "port"),
        ("https://www.example.com:", "port"),
        ("https://exa mple.com", "not a valid host name"),
        ("https://-bad-.example..com", "not a valid host name"),
    ],
)
def test_what_is_not_an_origin_is_refused_with_the_reason(typed, reason):
    with pytest.raises(OriginError) as caught:
        normalise_origin(typed)
    assert reason in str(caught.value)


def test_a_list_of_origins_is_normalised_and_deduplicated():
    typed = "https://www.example.com\n\n  https://WWW.example.com/ \nhttps://shop.example.com:443\n"
    assert clean_origins(typed) == "https://www.example.com\nhttps://shop.example.com"
    assert clean_origins("") == ""


def test_a_bad_origin_in_a_list_is_named_with_its_line():
    with pytest.raises(ValidationError) as caught:
        clean_origins("https://www.example.com\n\nhttps://www.example.com/contact")
    message = caught.value.messages[0]
    assert message.startswith("Line 3 (“https://www.example.com/contact”)")
    assert "remove the path “/contact”" in message


def test_at_most_fifty_origins_are_accepted():
    many = "\n".join(f"https://site{n}.example.com" for n in range(MAX_ORIGINS + 1))
    with pytest.raises(ValidationError, match="At most 50"):
        clean_origins(many)


def test_document_types_map_each_key_to_a_label_and_mime_types():
    assert list(DOCUMENT_TYPES) == ["pdf", "image", "text", "office"]
    assert DOCUMENT_TYPES["image"][1] == ["image/jpeg", "image/png", "image/webp", "image/gif"]
    assert [key for key, _label in document_type_choices()] == list(DOCUMENT_TYPES)
    assert all(str(label) for label, _mimes in DOCUMENT_TYPES.values())


def test_the_allowed_mime_types_follow_the_tenants_choice():
    tenant = Tenant(slug="t", name="T")  # default: PDF and images
    assert allowed_mime_types(tenant) == ["application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif"]
    tenant.document_types = ["office", "text", "unknown"]
    assert allowed_mime_types(tenant) == [
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ]
    tenant.document_types = []
    assert allowed_mime_types(tenant) == []


def test_the_largest_document_is_counted_in_mebibytes():
    assert max_document_bytes(Tenant(slug="t", name="T")) == 20 * 1024 * 1024
    assert max_document_bytes(Tenant(slug="t", name="T", document_max_mb=1)) == 1024 * 1024
