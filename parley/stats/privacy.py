from parley.privacy.registry import declare
from parley.stats.models import DailyCount

declare(
    DailyCount,
    not_personal={
        "value": "A normalised website path (digits, long and e-mail-like segments replaced by '*'), the public id of "
        "an expert profile (staff, shown to every visitor of the widget; merged into 'former expert' when the "
        "account is erased), a topic id, or 'audio'/'video'. Never a customer, interaction, user or token id.",
    },
    note="P10: anonymous daily aggregates, counted at write time; no IP address, e-mail, name or id of a customer "
    "or interaction. Cells under 5 are hidden in the Admin portal. Kept 14 months (P25 'analytics'), then deleted by "
    "housekeeping (parley.stats.services.stats_prune).",
)
