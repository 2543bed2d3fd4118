from django.core.mail.backends.console import EmailBackend


class ConsoleOutboxBackend(EmailBackend):
    """Development mail: printed to the console; mail_send() also keeps a copy for the outbox page."""
