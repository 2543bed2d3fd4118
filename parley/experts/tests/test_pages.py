import pytest
from django.core.exceptions import ValidationError

from parley.experts.pages import MAX_PATTERN_LENGTH, MAX_PATTERNS, clean_path_patterns, normalise_path, page_matches


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/loans/car", True),
        ("/loans/car/new", True),  # * spans slashes
        ("/loans/", True),  # the section's own page
        ("/loans", True),
        ("/loansx", False),
        ("/loans-and-more/x", False),
        ("/mortgages/loans/car", False),  # patterns are anchored at both ends
        ("/Loans/car", False),  # paths are case-sensitive
    ],
)
def test_a_star_pattern_matches_the_pages_below_a_path(path, expected):
    assert page_matches(path, "/loans/*", "") is expected


def test_a_star_without_a_slash_matches_any_continuation():
    assert page_matches("/loansx", "/loans*", "")
    assert page_matches("/loans", "/loans*", "")
    assert page_matches("/loans/car", "/loans*", "")
    assert not page_matches("/loan", "/loans*", "")


def test_a_section_pattern_with_a_star_in_the_middle_does_not_cover_its_parent():
    assert not page_matches("/a", "/a/*/c", "")
    assert page_matches("/a/b/c", "/a/*/c", "")


def test_the_root_star_pattern_matches_every_page():
    assert page_matches("/", "/*", "")
    assert page_matches("/x/y", "/*", "")
    assert not page_matches("/x/y", "", "/*")


def test_an_empty_include_list_matches_every_page():
    assert page_matches("/", "", "")
    assert page_matches("/anything/at/all", "", "")
    assert page_matches("/anything", "  \n\n ", "")


def test_an_exclude_wins_over_an_include():
    assert not page_matches("/loans/car", "/loans/*", "/loans/car")
    assert page_matches("/loans/house", "/loans/*", "/loans/car")
    assert not page_matches("/careers/job", "", "/careers/*")
    assert page_matches("/products", "", "/careers/*")


def test_any_line_of_a_list_can_match():
    include = "/loans/*\n\n  /savings  \n/contact"
    assert page_matches("/savings", include, "")
    assert page_matches("/contact", include, "")
    assert page_matches("/loans/x", include, "")
    assert not page_matches("/pensions", include, "")


def test_the_query_and_fragment_of_a_page_are_ignored():
    assert page_matches("/loans/car?ref=ad#top", "/loans/*", "")
    assert page_matches("/contact?x=1", "/contact", "")
    assert not page_matches("/contact?x=1", "", "/contact")
    assert page_matches("/contact#form", "/contact", "")


def test_a_trailing_slash_does_not_matter():
    assert page_matches("/contact/", "/contact", "")
    assert page_matches("/contact", "/contact/", "")
    assert page_matches("/", "/", "")
    assert not page_matches("/", "/contact", "")


def test_a_page_that_is_not_a_path_matches_nothing():
    assert not page_matches("", "", "")
    assert not page_matches("loans/car", "/loans/*", "")
    assert not page_matches("https://www.example.com/loans/car", "", "")


def test_only_the_star_is_a_wildcard():
    assert not page_matches("/ab", "/a?", "")
    assert page_matches("/a[1]", "/a[1]", "")
    assert not page_matches("/a1", "/a[1]", "")
    assert page_matches("/a[1]", "/a[1]/*", "")
    assert page_matches("/a/b/c", "/a/*/c", "")
    assert page_matches("/a/c", "/a*c", "")


def test_percent_escapes_are_decoded_on_both_sides():
    assert page_matches("/k%C3%A4se/bern", "/käse/*", "")
    assert page_matches("/käse/bern", "/k%C3%A4se/*", "")


def test_a_stored_line_that_is_not_a_path_never_matches():
    assert not page_matches("/loans", "loans", "")
    assert page_matches("/loans", "", "loans")


def test_normalise_path_keeps_only_the_path():
    assert normalise_path(" /a/b/?q=1#f ") == "/a/b"
    assert normalise_path("/") == "/"
    assert normalise_path("//") == "/"
    assert normalise_path("a") is None


def test_patterns_are_normalised_and_deduplicated():
    assert clean_path_patterns("  /loans/*  \n\n/contact\n/loans/*\n") == "/loans/*\n/contact"
    assert clean_path_patterns("") == ""
    assert clean_path_patterns(" \n ") == ""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("/ok\nloans/*", "Line 2 (“loans/*”)"),
        ("/ok\nloans/*", "starts with “/”"),
        ("/with space", "no spaces"),
        ("/search?q=1", "query"),
        ("/page#top", "fragment"),
        ("/" + "a" * MAX_PATTERN_LENGTH, f"at most {MAX_PATTERN_LENGTH} characters"),
    ],
)
def test_a_bad_pattern_is_refused_naming_the_line(text, fragment):
    with pytest.raises(ValidationError) as caught:
        clean_path_patterns(text)
    assert fragment in caught.value.messages[0]


def test_at_most_fifty_patterns_are_accepted():
    lines = [f"/page-{n}" for n in range(MAX_PATTERNS)]
    assert clean_path_patterns("\n".join(lines)).count("\n") == MAX_PATTERNS - 1
    with pytest.raises(ValidationError, match="At most 50"):
        clean_path_patterns("\n".join([*lines, "/one-more"]))
