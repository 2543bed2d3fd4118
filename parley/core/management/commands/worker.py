import signal
import threading

from django.core.management.base import BaseCommand

from parley.core.worker import HOUSEKEEPING_SECONDS, _housekeeping_loop, make_task_worker


class Command(BaseCommand):
    help = "Run queued tasks (mail delivery) and hourly housekeeping (expired sessions, lock-out rows, sent mails)."

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        threading.Thread(target=_housekeeping_loop, args=(stop, HOUSEKEEPING_SECONDS), daemon=True).start()
        worker = make_task_worker()
        worker.configure_signals()
        self.stdout.write("Parley worker running (Ctrl+C stops it).")
        try:
            worker.run()
        finally:
            stop.set()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
