"""The `parley` console command: Django's management commands with Parley's settings.

`parley rotate-keys` and `parley rotate_keys` are the same command: dashes are accepted for readability.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"parley: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
