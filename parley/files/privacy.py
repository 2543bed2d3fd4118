from parley.files.models import StoredFile
from parley.privacy.registry import declare

declare(StoredFile, note="Metadata of an encrypted file; the content is declared where the file is referenced.")
