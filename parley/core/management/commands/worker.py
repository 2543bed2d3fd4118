import signal
import threading

from django.core.management.base import BaseCommand

from parley.core.schedule import scheduler_loop
from parley.core.worker import make_task_worker


class Command(BaseCommand):
    help = "Run queued tasks (mail delivery) and scheduled jobs (housekeeping, appointment reminders, calendar sync)."

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        threading.Thread(target=scheduler_loop, args=(stop,), daemon=True).start()
        worker = make_task_worker()
        worker.configure_signals()
        self.stdout.write("Parley worker running (Ctrl+C stops it).")
        try:
            worker.run()
        finally:
            stop.set()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
