from parley.crypto.models import DataKey
from parley.privacy.registry import declare

declare(DataKey, note="Wrapped data keys: key material and scope ids, no personal data. Destroying one shreds its scope.")
