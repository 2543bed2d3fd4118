"""The web app's and the loader's interface texts, translated on the server and handed to the browser as JSON.

There is no JavaScript catalog: a page carries the texts of its one language. Placeholders keep Python's
`%(name)s` form, which the scripts fill in.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


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
        "exportConversation": _("Export my conversation"),
        "exporting": _("Preparing the export…"),
        "exported": _("The export was downloaded."),
        "deleteConversation": _("Delete this conversation"),
        "deleteQuestion": _("Delete this conversation?"),
        "deleteExplain": _("Your messages and documents are deleted for you and for the expert. This cannot be undone."),
        "deleteConfirm": _("Delete"),
        "cancel": _("Cancel"),
        "deleted": _("The conversation was deleted."),
        "newConversation": _("Start a new conversation"),
        **booking_texts(),
        **call_texts(),
        **rights_texts(),
    }


def rights_texts() -> dict[str, str]:
    """Texts of the privacy-rights request form (parley/widget/static/parley/widget/rights.js, P29); the rights'
    names are the public request page's (parley.dsr.models.Right), as `right_<value>`."""
    from parley.dsr.models import Right

    return {
        "rights": _("Your privacy rights"),
        "rightsIntro": _(
            "Ask for a copy of your data, to have it corrected or erased, or anything else about your data. "
            "No particular form is needed: say it in your own words."
        ),
        "rightsEmailHint": _("We send a link to this address: opening it confirms that the request comes from you."),
        "rightsRight": _("What would you like? (optional)"),
        "rightsNone": _("— (say it in your own words below)"),
        "rightsText": _("Your request"),
        "rightsTextHint": _("Tell us anything that helps us find your data, e.g. when you talked to us."),
        "rightsMissing": _("Tell us what you would like us to do, or choose one of the rights."),
        "rightsSend": _("Send the request"),
        "rightsSent": _("Check your e-mail to confirm the request"),
        "rightsSentHint": _(
            "We sent a link to %(email)s. It works once, for %(hours)s hours. If no e-mail arrives, check the spam "
            "folder or write to us again."
        ),
        "rightsAfterCall": _("Your privacy rights can be opened when the call has ended."),
        **{f"right_{value}": str(label) for value, label in Right.choices if value != Right.OTHER},
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


# The call texts (parley/realtime/static/parley/call.js): key → text, for the web app and, through the
# `call_texts` template tag (parley/realtime/templatetags/calls.py), for the Expert portal.
# Marked with gettext_noop (not an alias: makemessages looks for that name); translated when the page is rendered.
CALL_TEXTS = {
    "callStart": gettext_noop("Start a call"),
    "callVideo": gettext_noop("Video call"),
    "callAudio": gettext_noop("Audio call"),
    "callUnavailable": gettext_noop(
        "The call could not be started: the connection is interrupted. Please try again in a moment."
    ),
    "callCallingVideo": gettext_noop("Calling %(name)s (video)…"),
    "callCallingAudio": gettext_noop("Calling %(name)s (audio)…"),
    "callCancel": gettext_noop("Cancel"),
    "callCancelled": gettext_noop("You cancelled the call."),
    "callNoAnswer": gettext_noop("%(name)s did not answer. Please write a message or try again later."),
    "callDeclined": gettext_noop("%(name)s cannot take the call right now."),
    "callIncomingVideo": gettext_noop("%(name)s is calling you (video call)."),
    "callIncomingAudio": gettext_noop("%(name)s is calling you (audio call)."),
    "callAccept": gettext_noop("Accept"),
    "callDecline": gettext_noop("Decline"),
    "callMissed": gettext_noop("Missed call from %(name)s."),
    "callWaitingRoom": gettext_noop("Waiting for %(name)s to let you in…"),
    "callLeaveWaiting": gettext_noop("Leave the waiting room"),
    "callPeerWaiting": gettext_noop("%(name)s is waiting to join the call."),
    "callLetIn": gettext_noop("Let in"),
    "callWaitingGone": gettext_noop("%(name)s left the waiting room."),
    "callVideoWith": gettext_noop("Video call with %(name)s"),
    "callAudioWith": gettext_noop("Audio call with %(name)s"),
    "callWaitingForPeer": gettext_noop("Waiting for %(name)s to join…"),
    "callConnecting": gettext_noop("Connecting…"),
    "callConnected": gettext_noop("Connected"),
    "callReconnecting": gettext_noop("The connection was interrupted. Reconnecting…"),
    "callPeerGone": gettext_noop("%(name)s lost the connection. Waiting for them to come back…"),
    "callPeerVideo": gettext_noop("Video of %(name)s"),
    "callPeerScreen": gettext_noop("Screen shared by %(name)s"),
    "callPeerCameraOff": gettext_noop("The camera of %(name)s is off."),
    "callAudioOnly": gettext_noop("Audio only: %(name)s"),
    "callYourVideo": gettext_noop("Your video"),
    "callYourScreen": gettext_noop("Your shared screen"),
    "callPlaySound": gettext_noop("Turn on the sound"),
    "callDirect": gettext_noop("Direct (peer-to-peer)"),
    "callRelayed": gettext_noop("Relayed via TURN"),
    "callEncrypted": gettext_noop("Encrypted (DTLS-SRTP)"),
    "callControls": gettext_noop("Call controls"),
    "callMute": gettext_noop("Mute"),
    "callCameraOff": gettext_noop("Camera off"),
    "callToVideo": gettext_noop("Switch to video"),
    "callToAudio": gettext_noop("Switch to audio only"),
    "callNowVideo": gettext_noop("You are sending video."),
    "callNowAudio": gettext_noop("You are sending audio only."),
    "callShare": gettext_noop("Share screen"),
    "callSharing": gettext_noop("You are sharing your screen."),
    "callShareStopped": gettext_noop("You stopped sharing your screen."),
    "callShareFailed": gettext_noop("Screen sharing did not start."),
    "callHangUp": gettext_noop("Hang up"),
    "callDevices": gettext_noop("Microphone and camera"),
    "callMicrophone": gettext_noop("Microphone"),
    "callCamera": gettext_noop("Camera"),
    "callNoCamera": gettext_noop("Your camera could not be used; the call continues with sound only."),
    "callNoMedia": gettext_noop("Your microphone and camera could not be used. Please allow them in your browser's settings."),
    "callEnded": gettext_noop("The call has ended."),
    "callPeerEnded": gettext_noop("%(name)s ended the call."),
    "callLost": gettext_noop("The call ended: the connection was lost."),
    "callFailed": gettext_noop("The call could not be connected. Please try again."),
    "callElsewhere": gettext_noop("The call continues in another window."),
    # Expert portal only: ringing while the expert is on another page.
    "callIncoming": gettext_noop("Incoming call"),
    "callOngoing": gettext_noop("You are in a call."),
    "callReturn": gettext_noop("Return to the call"),
    "callOpen": gettext_noop("Open the conversation"),
}


def call_texts() -> dict[str, str]:
    """Texts of the call UI (parley/realtime/static/parley/call.js) in the active language."""
    return {key: _(text) for key, text in CALL_TEXTS.items()}


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
