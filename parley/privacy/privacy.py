from parley.privacy.models import ErasureRecord, PendingFileDeletion
from parley.privacy.registry import declare

declare(
    ErasureRecord,
    note="The erasure ledger: the random id, type and category of each erased record, the rule and the time; no "
    "personal data. Re-applied after a backup restore (parley restore-check); kept PARLEY_ERASURE_LEDGER_DAYS.",
)
declare(
    PendingFileDeletion,
    not_personal={"storage_key": "The file's tenant id and file id: a path made of random ids."},
    note="Id-derived storage keys of encrypted files waiting to be unlinked after a delete.",
)
