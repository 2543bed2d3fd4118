from parley.core.models import JobRun
from parley.privacy.registry import declare

declare(JobRun, note="Which scheduled job ran for which time slot; no personal data.")
