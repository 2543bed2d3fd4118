import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import env_bool, env_int


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with uvicorn (HTTP through Django's sync handler, one thread hop per request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("PARLEY_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PARLEY_PORT", 8000, minimum=1, maximum=65535))
        parser.add_argument("--workers", type=int, default=env_int("PARLEY_WORKERS", 1, minimum=1, maximum=64))
        parser.add_argument(
            "--with-worker",
            action="store_true",
            default=env_bool("PARLEY_WITH_WORKER", False),
            help="Also run the task worker (mail delivery) and housekeeping in this process (what make run does).",
        )
        parser.add_argument(
            "--forwarded-allow-ips",
            default=os.environ.get("PARLEY_FORWARDED_ALLOW_IPS", ""),
            help="Trusted proxy addresses whose X-Forwarded-For/Proto are believed (empty: none).",
        )

    def handle(self, *args: object, **options: object) -> None:
        import uvicorn

        workers = int(options["workers"])  # type: ignore[call-overload]
        port = int(options["port"])  # type: ignore[call-overload]
        if workers < 1 or workers > 64:
            raise CommandError("--workers must be between 1 and 64.")
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if workers > 1 and not getattr(settings, "REDIS_URL", ""):
            self.stderr.write(
                "warning: more than one worker without REDIS_URL: realtime events reach only clients of the same worker."
            )
        # The key file is created (make run) or checked before workers fork, so a bad key stops start-up here.
        from parley.crypto.keyring import get_keyring

        get_keyring()
        if options["with_worker"]:
            from parley.core.worker import start_in_background

            start_in_background()
            self.stdout.write("Task worker and housekeeping run in this process.")
        forwarded = str(options["forwarded_allow_ips"])
        self.stdout.write(f"Parley serving on http://{options['host']}:{port} with {workers} worker(s).")
        uvicorn.run(
            "config.asgi:application",
            host=str(options["host"]),
            port=port,
            workers=workers,
            access_log=False,  # it would write full client IP addresses (P18)
            proxy_headers=bool(forwarded),
            forwarded_allow_ips=forwarded or None,
            log_level="warning",
            # Parley's LOGGING (config/django/base.py) handles uvicorn's own lines too, through the filter that
            # shortens IP addresses (parley/core/logging.py); uvicorn's default config would print them unfiltered.
            log_config=None,
            server_header=False,
            lifespan="on",
            # loop/http "auto" pick uvloop and httptools (uvicorn[standard]); asyncio + h11 cost about 15-25 % more
            # CPU per request here (bench/http/README.md).
        )
