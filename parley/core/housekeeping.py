"""Periodic clean-up that nobody has to remember: expired sessions, lock-out rows, sent mails, task results."""

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger("parley.housekeeping")


def housekeeping_run() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    from parley.accesslog.services import access_logs_prune
    from parley.accounts.models import PortalSession
    from parley.accounts.services import invitations_prune
    from parley.accounts.throttle import throttles_prune
    from parley.consent.services import consent_records_prune
    from parley.core.schedule import prune as job_runs_prune
    from parley.dsr.services import requests_prune
    from parley.notifications.services import mails_retry_unsent, outbox_prune
    from parley.privacy.services import pending_files_process
    from parley.realtime.services import presences_prune
    from parley.stats.services import stats_prune

    done = {
        "sessions": PortalSession.objects.filter(expire_date__lt=timezone.now()).delete()[0],
        "throttles": throttles_prune(),
        "invitations": invitations_prune(),
        "mails_retried": mails_retry_unsent(),
        "mails_pruned": outbox_prune(),
        "presences": presences_prune(),
        **{f"dsr_{k}": v for k, v in requests_prune().items()},
        "access_logs": access_logs_prune(),  # P18: day files older than PARLEY_ACCESS_LOG_DAYS
        "consent_records": consent_records_prune(),  # withdrawn more than PARLEY_CONSENT_PROOF_MONTHS ago
        "job_runs": job_runs_prune(),
        "stats": stats_prune(timezone.now()),  # P25: analytics counters older than 14 months
        "task_results": DBTaskResult.objects.filter(finished_at__lt=timezone.now() - timedelta(days=7)).delete()[0],
        "files_unlinked": pending_files_process(),  # retries deleted files whose unlink after commit failed
    }
    logger.info("housekeeping: %s", done)
    return done
