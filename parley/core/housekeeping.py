"""Periodic clean-up that nobody has to remember: expired sessions, lock-out rows, sent mails, task results."""

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger("parley.housekeeping")


def housekeeping_run() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    from parley.accounts.models import PortalSession
    from parley.accounts.services import invitations_prune
    from parley.accounts.throttle import throttles_prune
    from parley.core.schedule import prune as job_runs_prune
    from parley.notifications.services import mails_retry_unsent, outbox_prune
    from parley.realtime.services import presences_prune

    done = {
        "sessions": PortalSession.objects.filter(expire_date__lt=timezone.now()).delete()[0],
        "throttles": throttles_prune(),
        "invitations": invitations_prune(),
        "mails_retried": mails_retry_unsent(),
        "mails_pruned": outbox_prune(),
        "presences": presences_prune(),
        "job_runs": job_runs_prune(),
        "task_results": DBTaskResult.objects.filter(finished_at__lt=timezone.now() - timedelta(days=7)).delete()[0],
    }
    logger.info("housekeeping: %s", done)
    return done
