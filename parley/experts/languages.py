"""Languages an expert can advise in: more than the languages of Parley's own interface."""

ADVISORY_LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "it": "Italiano",
    "rm": "Rumantsch",
    "es": "Español",
    "pt": "Português",
    "nl": "Nederlands",
    "pl": "Polski",
    "tr": "Türkçe",
    "sq": "Shqip",
    "sr": "Srpski",
    "hr": "Hrvatski",
    "ru": "Русский",
    "uk": "Українська",
    "ar": "العربية",
    "zh": "中文",
    "ja": "日本語",
}


def advisory_language_choices() -> list[tuple[str, str]]:
    return list(ADVISORY_LANGUAGES.items())
