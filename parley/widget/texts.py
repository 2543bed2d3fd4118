"""The web app's and the loader's interface texts, translated on the server and handed to the browser as JSON.

There is no JavaScript catalog: a page carries the texts of its one language. Placeholders keep Python's
`%(name)s` form, which the scripts fill in.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def app_texts() -> dict[str, str]:
    """Texts of the web app in the active language."""
    return {
        "loading": _("Loading…"),
        "close": _("Close"),
        "chooseTopic": _("What would you like to talk about?"),
        "allTopics": _("All topics"),
        "otherTopic": _("Choose another topic"),
        "chooseExpert": _("Choose an expert"),
        "noExperts": _("No expert is available here at the moment. Please try again later."),
        "noChat": _("%(name)s does not offer chat here. Please use the other contact options on the website."),
        "online": _("Online"),
        "offline": _("Offline"),
        "languages": _("Speaks %(languages)s"),
        "chatNow": _("Chat now"),
        "writeMessage": _("Write a message"),
        "offlineHint": _("Your message is kept and the expert is notified by e-mail."),
        "writeTo": _("Write to %(name)s"),
        "back": _("Back"),
        "name": _("Your name"),
        "email": _("Your e-mail address"),
        "message": _("Your message"),
        "required": _("Please fill in this field."),
        "invalidEmail": _("Please enter a valid e-mail address, e.g. name@example.com."),
        "fixErrors": _("Please correct the marked fields."),
        "privacy": _("We store your name, e-mail and messages to answer you; see our %(link)s."),
        "privacyLink": _("privacy notice"),
        "newTab": _("(opens in a new tab)"),
        "start": _("Send"),
        "sending": _("Sending…"),
        "networkError": _("Parley could not be reached. Please check your connection and try again."),
        "failed": _("That did not work (error %(status)s). Please try again."),
        "retry": _("Try again"),
        "conversationWith": _("Conversation with %(name)s"),
        "yourConversation": _("Your conversation"),
        "messages": _("Messages"),
        "you": _("You"),
        "notice": _("Notice"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "read": _("Read"),
        "typing": _("%(name)s is typing…"),
        "theExpert": _("The expert"),
        "composer": _("Message"),
        "composerHint": _("Enter sends, Shift+Enter starts a new line."),
        "send": _("Send"),
        "attach": _("Attach a document"),
        "uploading": _("Uploading %(name)s…"),
        "uploaded": _("%(name)s was sent."),
        "tooLarge": _("This file is too large: at most %(size)s."),
        "download": _("Download"),
        "closed": _("This conversation is closed."),
        "reconnecting": _("The connection was interrupted. Reconnecting…"),
        "deleteConversation": _("Delete this conversation"),
        "deleteQuestion": _("Delete this conversation?"),
        "deleteExplain": _("Your messages and documents are deleted for you and for the expert. This cannot be undone."),
        "deleteConfirm": _("Delete"),
        "cancel": _("Cancel"),
        "deleted": _("The conversation was deleted."),
        "newConversation": _("Start a new conversation"),
        **booking_texts(),
    }


def booking_texts() -> dict[str, str]:
    """Texts of the booking steps (parley/widget/static/parley/widget/booking.js)."""
    return {
        "bookAppointment": _("Book an appointment"),
        "nextFree": _("Next free: %(when)s"),
        "firstFree": _("First free expert"),
        "firstFreeHint": _("Get an appointment with whichever expert for this topic is free first."),
        "bookFirstFree": _("Book with the first free expert"),
        "bookWith": _("Book an appointment with %(name)s"),
        "chooseType": _("What kind of appointment would you like?"),
        "chooseTime": _("Choose a time"),
        "appointmentType": _("Appointment"),
        "expert": _("Expert"),
        "when": _("When"),
        "timeInZone": _("%(time)s (%(zone)s)"),
        "yourZone": _("Times are shown in your time zone: %(zone)s."),
        "loadingTimes": _("Loading free times…"),
        "noFreeTimes": _("There is no free time in the next 14 days. Please try again later."),
        "days": _("Days"),
        "noTimesShort": _("no free time"),
        "noTimes": _("No free time on this day. Please choose another day."),
        "yourDetails": _("Your details"),
        "note": _("Note for the expert (optional)"),
        "book": _("Book"),
        "booking": _("Booking…"),
        "slotTaken": _("This time is no longer free. The free times are updated: please choose another one."),
        "bookedConfirmed": _("Confirmed"),
        "bookedRequested": _("Requested: the expert will confirm"),
        "mailSent": _("We sent you an e-mail with a link to change or cancel."),
        "toConversation": _("Go to the conversation with %(name)s"),
    }


def loader_texts(*, tenant_name: str) -> dict[str, dict[str, str]]:
    """The loader's few texts in every interface language; the loader picks one by navigator.language."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {
                "open": _("Talk to an expert"),
                "title": _("Advice from %(name)s") % {"name": tenant_name},
                "invite": _("Questions? Our experts are happy to help."),
                "dismiss": _("Dismiss"),
                "unread": _("New messages: %(count)s"),
            }
    return texts
