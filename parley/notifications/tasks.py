from django.tasks import task

from parley.notifications.services import mail_deliver_now


@task
def mail_deliver(*, mail_id: str) -> bool:
    return mail_deliver_now(mail_id=mail_id)
