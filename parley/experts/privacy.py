from parley.experts.models import ExpertProfile
from parley.privacy.registry import CONTRACT, PersonalField, Retention, Storage, declare

_shown = "Shown to end customers choosing an expert"
declare(
    ExpertProfile,
    {
        "description": PersonalField("profile", _shown, CONTRACT, Retention.ACCOUNT),
        "languages": PersonalField("profile", _shown, CONTRACT, Retention.ACCOUNT),
        "photo": PersonalField("profile photo", _shown, CONTRACT, Retention.ACCOUNT, Storage.ENCRYPTED_FILE),
    },
)
