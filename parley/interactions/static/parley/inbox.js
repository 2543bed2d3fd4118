// Live portal inbox: one WebSocket per tab (/ws/t/<slug>/inbox/, session cookie) keeps the conversation list, the
// nav's unread badge and an open conversation current. Every action also works without this script (plain forms).
// Calls (./call.js): the open conversation's call controls, and on every other page a banner when a customer rings.
import { activeCall, callsSupported, createCallController, loadStyles, onHandledElsewhere } from "./call.js";

const config = document.getElementById("parley-live");
const t = (key) => (config ? config.dataset[key] || "" : "");
// Call texts (the page's #parley-call-texts JSON block, rendered in the user's language), with %(name)s filled in.
const callTexts = JSON.parse(document.getElementById("parley-call-texts")?.textContent || "{}");
const callText = (key, vars = {}) =>
  (callTexts[key] || "").replace(/%\((\w+)\)s/g, (_match, name) => String(vars[name] ?? ""));

const PING_MS = 25_000; // presence heartbeat: the expert counts as online while this tab is open
const TYPING_SEND_MS = 3_000;
const TYPING_SHOW_MS = 4_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 15_000;
const MUTE_KEY = "parley.inbox.muted";

const userId = config ? config.dataset.userId : "";
const isAdmin = config ? config.dataset.role === "admin" : false;
const timeZone = config ? config.dataset.timezone : undefined;
const baseTitle = document.title;

// --- formatting -------------------------------------------------------------------------------------------------

let dateFormat;
try {
  dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "short",
    timeStyle: "short",
    timeZone: timeZone || undefined,
  });
} catch {
  dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

function statusLabel(status) {
  return status === "closed" ? t("tClosed") : t("tOpen");
}

// --- unread counts (nav badge and title) ------------------------------------------------------------------------

const navBadge = document.getElementById("nav-unread");
const unread = new Map();
if (navBadge) {
  try {
    for (const [id, n] of Object.entries(JSON.parse(navBadge.dataset.unread || "{}"))) unread.set(id, Number(n) || 0);
  } catch {
    // a broken map only means the badge starts from the server's total
  }
}

function renderTotal() {
  let total = 0;
  for (const n of unread.values()) total += n;
  if (navBadge) {
    navBadge.hidden = total === 0;
    const count = navBadge.querySelector("[data-count]");
    if (count) count.textContent = String(total);
  }
  document.title = total ? `(${total}) ${baseTitle}` : baseTitle;
}

function setBadge(badge, n) {
  if (!badge) return;
  badge.hidden = !n;
  const count = badge.querySelector("[data-count]");
  if (count) count.textContent = String(n);
}

// --- alerts: sound and browser notification --------------------------------------------------------------------

const muteButton = document.getElementById("alerts-mute");
const notifyButton = document.getElementById("notify-enable");
const notifyState = document.getElementById("notify-state");
let audio = null;

function muted() {
  try {
    return localStorage.getItem(MUTE_KEY) === "1";
  } catch {
    return false;
  }
}

function renderAlertControls() {
  if (muteButton) muteButton.setAttribute("aria-pressed", muted() ? "true" : "false");
  if (!notifyButton) return;
  const supported = "Notification" in window;
  notifyButton.hidden = !supported || Notification.permission !== "default";
  if (notifyState && supported) {
    if (Notification.permission === "granted") notifyState.textContent = t("tNotificationsOn");
    else if (Notification.permission === "denied") notifyState.textContent = t("tNotificationsBlocked");
  }
}

function unlockAudio() {
  // Browsers only let a page play sound after a user gesture: create the context on the first one.
  if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
  audio = new (window.AudioContext || window.webkitAudioContext)();
}

function beep() {
  if (!audio) return;
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const now = audio.currentTime;
  [880, 660].forEach((frequency, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    const start = now + i * 0.16;
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + 0.15);
  });
}

function alertNewMessage(row) {
  if (muted()) return;
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  // The customer's name only: message text never leaves the page into the OS notification centre.
  const notification = new Notification(t("tNewMessage"), { body: row.customer_name, tag: `parley-${row.id}` });
  notification.onclick = () => {
    window.focus();
    notification.close();
    if (row.url) window.location.assign(row.url);
  };
}

document.addEventListener("pointerdown", unlockAudio, { once: true });
document.addEventListener("keydown", unlockAudio, { once: true });
muteButton?.addEventListener("click", () => {
  try {
    localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
  } catch {
    // storage may be disabled; the toggle then just does nothing
  }
  renderAlertControls();
});
notifyButton?.addEventListener("click", async () => {
  unlockAudio();
  if (!("Notification" in window)) return;
  try {
    await Notification.requestPermission();
  } finally {
    renderAlertControls();
  }
});
renderAlertControls();

// --- the socket -------------------------------------------------------------------------------------------------

let socket = null;
let backoff = BACKOFF_MIN_MS;
let pingTimer = null;
let connectedOnce = false;
const liveStatus = document.getElementById("live-status");

function send(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

function setOffline(offline) {
  if (!liveStatus) return;
  liveStatus.hidden = !offline;
  liveStatus.textContent = offline ? t("tOffline") : "";
}

function connect() {
  if (!config) return;
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${window.location.host}/ws/t/${encodeURIComponent(config.dataset.slug)}/inbox/`);
  socket = ws;
  ws.addEventListener("open", () => {
    backoff = BACKOFF_MIN_MS;
    setOffline(false);
    send({ type: "ping" });
    clearInterval(pingTimer);
    pingTimer = setInterval(() => send({ type: "ping" }), PING_MS);
    if (conversation) conversation.onOpen();
    if (connectedOnce && inbox) inbox.refresh(); // frames missed while away
    connectedOnce = true;
  });
  ws.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame && typeof frame.type === "string") dispatch(frame);
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    clearInterval(pingTimer);
    if (event.code === 4403) return; // not allowed here (e.g. second factor still to set up): the pages work without it
    setOffline(true);
    const delay = backoff + Math.random() * 250;
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    setTimeout(connect, delay);
  });
}

function dispatch(frame) {
  switch (frame.type) {
    case "inbox":
      if (frame.interaction) onInboxRow(frame.interaction);
      break;
    case "inbox_removed":
      onInboxRemoved(String(frame.id));
      break;
    case "pong":
      break;
    case "call":
      if (conversation && conversation.takesCall(frame)) conversation.onFrame(frame);
      else callBanners?.onFrame(frame);
      break;
    default:
      if (conversation) conversation.onFrame(frame);
  }
}

function onInboxRow(row) {
  const previous = unread.get(row.id) || 0;
  if (row.unread) unread.set(row.id, row.unread);
  else unread.delete(row.id);
  renderTotal();
  inbox?.upsert(row);
  const mine = row.expert_id === userId;
  // The visible list shows it already; alert when the tab is hidden or busy with another conversation.
  const elsewhere = document.hidden || (conversation !== null && conversation.id !== row.id);
  if (mine && row.unread > previous && elsewhere) {
    alertNewMessage(row);
    inbox?.announce(row);
  }
}

function onInboxRemoved(id) {
  unread.delete(id);
  renderTotal();
  inbox?.remove(id);
  if (conversation && conversation.id === id) conversation.movedAway();
}

// --- the conversation list --------------------------------------------------------------------------------------

function makeInbox(table) {
  const body = table.tBodies[0];
  const template = document.getElementById("inbox-row-template");
  const empty = document.getElementById("inbox-empty");
  const announcer = document.getElementById("notify-state");
  const filter = {
    status: table.dataset.filterStatus || "open",
    q: table.dataset.filterQ || "",
    expert: table.dataset.filterExpert || "",
    firstPage: table.dataset.firstPage === "1",
  };

  function matches(row) {
    if (filter.status !== "all" && row.status !== filter.status) return false;
    if (filter.expert && row.expert_id !== filter.expert) return false;
    return true;
  }

  function fill(tr, row) {
    tr.dataset.id = row.id;
    tr.dataset.expertId = row.expert_id || "";
    tr.dataset.status = row.status;
    tr.classList.toggle("has-unread", row.unread > 0);
    const link = tr.querySelector('[data-field="name"]');
    link.textContent = row.customer_name;
    link.href = row.url;
    const expert = tr.querySelector('[data-field="expert"]');
    if (expert) expert.textContent = row.expert_name || "";
    const status = tr.querySelector('[data-field="status"]');
    status.textContent = statusLabel(row.status);
    status.className = `state state-${row.status}`;
    setBadge(tr.querySelector('[data-field="unread"]'), row.unread);
    const time = tr.querySelector('[data-field="time"]');
    if (time.getAttribute("datetime") !== row.last_activity_at) {
      time.setAttribute("datetime", row.last_activity_at);
      time.textContent = formatTime(row.last_activity_at);
      return true; // newer activity: the row moves to the top
    }
    return false;
  }

  function syncEmpty() {
    if (empty) empty.hidden = body.rows.length > 0;
  }

  return {
    upsert(row) {
      let tr = body.querySelector(`tr[data-id="${CSS.escape(row.id)}"]`);
      if (!matches(row)) {
        tr?.remove();
        syncEmpty();
        return;
      }
      if (!tr) {
        // A search is answered by the server's blind index only; new rows wait for the next search.
        if (filter.q || !filter.firstPage || !template) return;
        tr = template.content.firstElementChild.cloneNode(true);
        fill(tr, row);
        body.prepend(tr);
      } else if (fill(tr, row) && filter.firstPage) {
        body.prepend(tr);
      }
      syncEmpty();
    },
    remove(id) {
      body.querySelector(`tr[data-id="${CSS.escape(id)}"]`)?.remove();
      syncEmpty();
    },
    announce(row) {
      if (announcer) announcer.textContent = `${t("tAnnounce")} ${row.customer_name}`;
    },
    async refresh() {
      // After a reconnect, re-read this page (same filters) instead of guessing what was missed.
      try {
        const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (!response.ok) return;
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = doc.querySelector("#inbox tbody");
        if (fresh) {
          body.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)));
          for (const time of body.querySelectorAll("time[datetime]")) time.textContent = formatTime(time.getAttribute("datetime"));
        }
        const freshBadge = doc.getElementById("nav-unread");
        if (freshBadge) {
          unread.clear();
          for (const [id, n] of Object.entries(JSON.parse(freshBadge.dataset.unread || "{}"))) unread.set(id, Number(n) || 0);
          renderTotal();
        }
        syncEmpty();
      } catch {
        // stay with what is shown; the next frame updates it
      }
    },
  };
}

// --- one conversation -------------------------------------------------------------------------------------------

function makeConversation(root) {
  const id = root.dataset.interactionId;
  const handler = root.dataset.handler === "1";
  const log = document.getElementById("messages");
  const typing = document.getElementById("typing");
  const notice = document.getElementById("conv-notice");
  const replyForm = document.getElementById("reply-form");
  const textarea = replyForm?.querySelector("textarea");
  const uploadForm = document.getElementById("upload-form");
  const writeForms = document.getElementById("write-forms");
  const closedNotice = document.getElementById("closed-notice");
  const statusForm = document.getElementById("status-form");
  let lastSeq = Number(root.dataset.lastSeq) || 0;
  let customerRead = Number(root.dataset.customerRead) || 0;
  let expertProfileId = root.dataset.expertProfileId || "";
  let gapAskedAt = 0;
  let typingTimer = null;
  let lastTypingSent = 0;
  // The page load already marked everything read for the expert (see conversation_view).
  let readSent = handler ? lastSeq : 0;
  let deliveredSent = readSent;
  let pendingBody = "";
  let ended = false;

  // Calls with the customer: only the expert of the conversation, only when the organisation offers them.
  const calls = root.dataset.calls === "1" && callsSupported()
    ? createCallController({
        role: "expert",
        interactionId: id,
        socketUrl: `/ws/call/${encodeURIComponent(config.dataset.slug)}/${id}/`,
        joinFrame: () => ({ type: "join" }),
        sendCall: (action, media) => send({ type: "call", interaction_id: id, action, media }),
        text: callText,
        peerName: () => root.dataset.customerName || t("tCustomer"),
        ring: (_kind, first) => {
          if (!muted()) beep();
          if (first) notifyCall(root.dataset.customerName || t("tCustomer"), id);
        },
        onActiveChange: (active) => {
          root.classList.toggle("call-active", active);
          document.body.classList.toggle("call-active", active);
        },
      })
    : null;
  if (calls) {
    document.getElementById("call-bar")?.append(calls.bar);
    document.getElementById("call-area")?.append(calls.area);
    calls.setAvailable(root.dataset.status === "open");
  }

  function end(text) {
    ended = true;
    if (calls) {
      calls.destroy();
      calls.setAvailable(false);
    }
    if (notice) {
      notice.textContent = text;
      notice.hidden = false;
    }
    if (writeForms) writeForms.hidden = true;
    for (const form of root.querySelectorAll("form")) {
      for (const control of form.elements) control.disabled = true;
    }
  }

  function seen() {
    // Only the expert of the conversation reports receipts; an admin looking in must not mark anything read.
    if (!handler || ended) return;
    const read = document.visibilityState === "visible" ? lastSeq : readSent;
    if (lastSeq <= deliveredSent && read <= readSent) return;
    if (send({ type: "seen", interaction_id: id, delivered: lastSeq, read })) {
      deliveredSent = lastSeq;
      readSent = read;
    }
  }

  function authorLabel(message) {
    if (message.sender === "customer") return root.dataset.customerName || t("tCustomer");
    if (message.sender === "system") return t("tSystem");
    return message.author_name || t("tExpert");
  }

  function renderMessage(message) {
    const li = document.createElement("li");
    li.className = `msg msg-${message.sender}`;
    li.id = `m-${message.seq}`;
    li.dataset.seq = String(message.seq);
    li.dataset.sender = message.sender;
    const meta = document.createElement("p");
    meta.className = "msg-meta";
    const author = document.createElement("span");
    author.className = "msg-author";
    author.textContent = authorLabel(message);
    const time = document.createElement("time");
    time.setAttribute("datetime", message.created_at);
    time.textContent = formatTime(message.created_at);
    meta.append(author, " ", time);
    li.append(meta);
    if (message.body) {
      const body = document.createElement("p");
      body.className = "msg-body";
      body.textContent = message.body;
      li.append(body);
    }
    if (message.document) {
      const doc = document.createElement("p");
      doc.className = "msg-doc";
      const link = document.createElement("a");
      link.href = `${root.dataset.documentBase}${encodeURIComponent(message.document.id)}/`;
      link.setAttribute("download", "");
      link.textContent = message.document.filename;
      const size = document.createElement("small");
      size.textContent = `${message.document.content_type}, ${Math.max(1, Math.round(message.document.size / 1024))} KB`;
      doc.append(link, " ", size);
      li.append(doc);
    }
    if (message.sender === "expert") {
      const receipt = document.createElement("p");
      receipt.className = "receipt";
      receipt.dataset.receipt = "";
      li.append(receipt);
    }
    return li;
  }

  function renderReceipts() {
    // "Seen" goes under the latest expert message the customer has read.
    let marked = null;
    for (const li of log.querySelectorAll('li[data-sender="expert"]')) {
      if (Number(li.dataset.seq) <= customerRead) marked = li;
    }
    for (const slot of log.querySelectorAll("[data-receipt]")) {
      slot.textContent = marked && slot.parentElement === marked ? t("tSeen") : "";
    }
  }

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  }

  function onMessage(message) {
    if (message.seq <= lastSeq) return; // already shown
    if (message.seq > lastSeq + 1) {
      // A gap: ask for everything after what we have, at most once a second.
      if (Date.now() - gapAskedAt > 1000) {
        gapAskedAt = Date.now();
        send({ type: "resume", interaction_id: id, after: lastSeq });
      }
      return;
    }
    const follow = atBottom();
    log.append(renderMessage(message));
    lastSeq = message.seq;
    root.dataset.lastSeq = String(lastSeq);
    if (message.sender === "customer") showTyping(false);
    if (message.sender === "expert" && message.body === pendingBody) pendingBody = "";
    renderReceipts();
    if (follow) log.lastElementChild.scrollIntoView({ block: "end" });
    seen();
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    typing.textContent = on ? t("tTyping") : "";
    if (on) typingTimer = setTimeout(() => showTyping(false), TYPING_SHOW_MS);
  }

  function applyConversation(conv) {
    root.dataset.status = conv.status;
    const status = root.querySelector('[data-field="status"]');
    if (status) {
      status.textContent = statusLabel(conv.status);
      status.className = `state state-${conv.status}`;
    }
    const expert = root.querySelector('[data-field="expert"]');
    if (expert && conv.expert) expert.textContent = conv.expert.name;
    if (typeof conv.customer_read_seq === "number" && conv.customer_read_seq > customerRead) {
      customerRead = conv.customer_read_seq;
      renderReceipts();
    }
    const newProfile = conv.expert ? conv.expert.id || "" : "";
    if (handler && !isAdmin && expertProfileId && newProfile !== expertProfileId) {
      movedAway();
      return;
    }
    expertProfileId = newProfile;
    if (ended) return;
    if (calls) calls.setAvailable(conv.status === "open");
    if (writeForms) writeForms.hidden = conv.status !== "open";
    if (closedNotice) closedNotice.hidden = conv.status === "open";
    if (statusForm) {
      const input = statusForm.querySelector('input[name="status"]');
      const button = statusForm.querySelector("button");
      if (input) input.value = conv.status === "open" ? "closed" : "open";
      if (button) button.textContent = conv.status === "open" ? statusForm.dataset.tClose : statusForm.dataset.tReopen;
    }
  }

  function movedAway() {
    if (ended || isAdmin) return;
    end(t("tTransferred"));
    send({ type: "close_view", interaction_id: id }); // stop following a conversation that is no longer ours
  }

  if (replyForm && textarea) {
    replyForm.addEventListener("submit", (event) => {
      const body = textarea.value.trim();
      if (!body) return; // let the server say what is missing
      if (!send({ type: "message", interaction_id: id, body })) return; // socket down: the form posts normally
      event.preventDefault();
      pendingBody = body;
      textarea.value = "";
      textarea.focus();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        replyForm.requestSubmit();
      }
    });
    textarea.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTypingSent >= TYPING_SEND_MS && send({ type: "typing", interaction_id: id })) lastTypingSent = now;
    });
  }

  if (uploadForm) {
    const input = uploadForm.querySelector('input[type="file"]');
    const error = document.getElementById("upload-error");
    const showError = (text) => {
      error.textContent = text;
      error.hidden = !text;
      uploadForm.querySelector(".field")?.classList.toggle("invalid", Boolean(text));
    };
    uploadForm.addEventListener("submit", async (event) => {
      const file = input?.files?.[0];
      if (!file) return;
      event.preventDefault();
      const max = Number(uploadForm.dataset.maxBytes) || 0;
      if (max && file.size > max) {
        showError(t("tTooLarge"));
        return;
      }
      showError("");
      const button = uploadForm.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const response = await fetch(uploadForm.action, {
          method: "POST",
          body: new FormData(uploadForm),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) {
          showError(data.message || t("tUploadFailed"));
          return;
        }
        uploadForm.reset();
        if (data && data.seq) onMessage(data); // in case the socket is down; a later copy is ignored
      } catch {
        showError(t("tUploadFailed"));
      } finally {
        button.disabled = false;
      }
    });
  }

  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
  renderReceipts();

  // Opened from a ringing banner on another page (#call=accept-video): answer once the conversation is live.
  // Otherwise, after a reload during a call, rejoin it.
  if (calls) {
    const intent = /^#call=accept-(audio|video)$/.exec(window.location.hash);
    if (intent) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      calls.acceptNow(intent[1]);
    } else {
      calls.resume();
    }
  }

  return {
    id,
    takesCall(frame) {
      return Boolean(calls) && frame.interaction_id === id;
    },
    onOpen() {
      send({ type: "open", interaction_id: id, after: lastSeq });
    },
    movedAway,
    onFrame(frame) {
      const frameId = frame.interaction_id || (frame.conversation && frame.conversation.id);
      if (frame.type === "error") {
        if (pendingBody && textarea && !textarea.value) textarea.value = pendingBody;
        pendingBody = "";
        if (frame.message && notice && !ended) {
          notice.textContent = frame.message;
          notice.hidden = false;
        }
        return;
      }
      if (frameId && frameId !== id) return;
      switch (frame.type) {
        case "ready":
          if (frame.conversation) applyConversation(frame.conversation);
          seen();
          if (calls) calls.chatReady();
          break;
        case "call":
          if (calls) calls.onChatFrame(frame);
          break;
        case "message":
          if (frame.message) onMessage(frame.message);
          break;
        case "typing":
          if (frame.sender === "customer") showTyping(true);
          break;
        case "receipt":
          if (frame.side === "customer" && Number(frame.read) > customerRead) {
            customerRead = Number(frame.read);
            renderReceipts();
          }
          break;
        case "conversation":
          if (frame.conversation) applyConversation(frame.conversation);
          break;
        case "deleted":
          end(t("tDeleted"));
          break;
        default:
          break;
      }
    },
  };
}

// --- calls on other pages: a customer rings or waits while the expert is elsewhere in the portal ------------------

function notifyCall(name, interactionId) {
  if (!document.hidden || muted() || !("Notification" in window) || Notification.permission !== "granted") return;
  // The customer's name only, as for messages.
  const notification = new Notification(callText("callIncoming"), { body: name, tag: `parley-call-${interactionId}` });
  notification.onclick = () => {
    window.focus();
    notification.close();
  };
}

function makeCallBanners(main) {
  loadStyles();
  const box = document.createElement("div");
  box.className = "call-banners";
  main.prepend(box);
  const banners = new Map(); // interaction id -> {node, timers}
  const conversationUrl = (id) => `${config.dataset.conversationsUrl}${encodeURIComponent(id)}/`;

  function remove(id) {
    const banner = banners.get(id);
    if (!banner) return;
    banner.timers.forEach((timer) => clearTimeout(timer) || clearInterval(timer));
    banner.node.remove();
    banners.delete(id);
  }

  function button(label, className, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `call-btn ${className}`;
    b.textContent = label;
    b.addEventListener("click", onclick);
    return b;
  }

  function show(frame) {
    const id = frame.interaction_id;
    const media = frame.media === "audio" ? "audio" : "video";
    const waiting = frame.action === "waiting";
    const name = frame.customer_name || t("tCustomer");
    let banner = banners.get(id);
    if (banner) {
      banner.timers.forEach((timer) => clearTimeout(timer) || clearInterval(timer));
    } else {
      const node = document.createElement("div");
      node.className = "call-ring is-incoming";
      const text = document.createElement("p");
      text.className = "call-ring-text";
      text.setAttribute("role", "alert");
      text.textContent = waiting
        ? callText("callPeerWaiting", { name })
        : callText(media === "video" ? "callIncomingVideo" : "callIncomingAudio", { name });
      const actions = document.createElement("div");
      actions.className = "call-ring-actions";
      actions.append(button(callText(waiting ? "callLetIn" : "callAccept"), "call-accept", () => {
        window.location.assign(`${conversationUrl(id)}#call=accept-${media}`);
      }));
      if (!waiting) {
        actions.append(button(callText("callDecline"), "call-hangup", () => {
          // Call frames need the conversation open on this socket for a moment.
          send({ type: "open", interaction_id: id, after: 1_000_000_000 });
          send({ type: "call", interaction_id: id, action: "decline", media });
          send({ type: "close_view", interaction_id: id });
          remove(id);
        }));
      }
      const open = document.createElement("a");
      open.href = conversationUrl(id);
      open.textContent = callText("callOpen");
      actions.append(open);
      node.append(text, actions);
      box.append(node);
      banner = { node, timers: [] };
      banners.set(id, banner);
      notifyCall(name, id);
      const accept = actions.querySelector("button");
      const active = document.activeElement;
      if (!(active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT") && active.value)) accept.focus();
    }
    if (!muted()) beep();
    if (!waiting) banner.timers.push(setInterval(() => { if (!muted()) beep(); }, 2_000));
    banner.timers.push(setTimeout(() => remove(id), waiting ? 50_000 : 25_000));
  }

  // A call this tab was in (the expert left the conversation's page): offer the way back while it may still run.
  const stored = activeCall();
  if (stored && !(conversation && conversation.id === stored.interaction_id)) {
    const node = document.createElement("p");
    node.className = "call-ring";
    const text = document.createElement("span");
    text.className = "call-ring-text";
    text.textContent = callText("callOngoing");
    const link = document.createElement("a");
    link.href = conversationUrl(stored.interaction_id);
    link.textContent = callText("callReturn");
    node.append(text, " ", link);
    box.append(node);
  }

  onHandledElsewhere(remove);

  return {
    onFrame(frame) {
      if (!frame.interaction_id || frame.sender !== "customer") return;
      if (frame.action === "ring" || frame.action === "waiting") show(frame);
      else remove(frame.interaction_id); // cancel, or answered
    },
  };
}

// --- start ------------------------------------------------------------------------------------------------------

const table = document.getElementById("inbox");
const inbox = table ? makeInbox(table) : null;
const conversationRoot = document.getElementById("conversation");
const conversation = conversationRoot ? makeConversation(conversationRoot) : null;
const mainElement = document.getElementById("main");
const callBanners = config && config.dataset.calls === "1" && callsSupported() && mainElement ? makeCallBanners(mainElement) : null;
// One date format for rows rendered by the server and by this script.
for (const time of document.querySelectorAll("#inbox time[datetime], #messages time[datetime]")) {
  time.textContent = formatTime(time.getAttribute("datetime"));
}
renderTotal();
connect();
