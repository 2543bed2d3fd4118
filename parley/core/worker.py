"""The task worker: django-tasks-db's worker plus the scheduled jobs (parley/core/schedule.py).

`parley worker` runs it in the foreground (production: one or more beside `parley serve`); `parley serve
--with-worker` (what `make run` uses) runs it in background threads of the server process, so a local
installation needs no second process.
"""

import logging
import threading
import time

logger = logging.getLogger("parley.worker")


def make_task_worker(*, interval: float = 1.0):  # type: ignore[no-untyped-def]
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def start_in_background(*, tick: float | None = None) -> threading.Event:
    """Start the task worker and the job scheduler as daemon threads; set the returned event to stop them."""
    from parley.core.schedule import TICK_SECONDS, scheduler_loop

    stop = threading.Event()
    worker = make_task_worker()

    def run_tasks() -> None:
        while not stop.is_set():
            try:
                worker.run()
            except Exception as exc:
                logger.error("task worker stopped: %s; restarting", type(exc).__name__)
                time.sleep(1)

    def stopper() -> None:
        stop.wait()
        worker.running = False

    threading.Thread(target=run_tasks, name="parley-tasks", daemon=True).start()
    threading.Thread(target=stopper, name="parley-tasks-stop", daemon=True).start()
    threading.Thread(target=scheduler_loop, args=(stop, tick or TICK_SECONDS), name="parley-schedule", daemon=True).start()
    return stop
