// One conversation: messages in seq order (never lost, never twice), receipts, typing, documents, deletion, and
// audio and video calls with the expert (../call.js).
import { createCallController } from "../call.js";
import { announce, avatar, fileSize, h, presence, t } from "./dom.js";
import { Live } from "./live.js";
import { openRights } from "./rights.js";

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const GAP_WAIT_MS = 5000;

export function showConversation(app, token, initial) {
  let conv = initial.conversation;
  let lastSeq = 0;
  const pending = new Map(); // seq -> message that arrived before its predecessor
  const ticks = new Map(); // seq -> tick element of the visitor's own messages
  let sentDelivered = conv.customer_delivered_seq ?? 0;
  let sentRead = conv.customer_read_seq ?? 0;
  let unread = 0;
  let counting = false; // the backlog shown on opening is not "new"
  let lastTypingSent = 0;
  let typingTimer = null;
  let gapTimer = null;
  let seenTimer = null;
  let lostTimer = null;

  const timeOnly = new Intl.DateTimeFormat(app.language, { hour: "numeric", minute: "2-digit" });
  const dateTime = new Intl.DateTimeFormat(app.language, { dateStyle: "medium", timeStyle: "short" });
  const when = (iso) => {
    const date = new Date(iso);
    return (date.toDateString() === new Date().toDateString() ? timeOnly : dateTime).format(date);
  };
  const expertName = () => (conv.expert && conv.expert.name) || t("theExpert");
  const chat = app.config.features.chat;

  // --- layout ---
  const head = h("div", { class: "conv-head" });
  const closedNote = h("p", { class: "notice", hidden: true }, t("closed"));
  const connectionNote = h("p", { class: "notice", role: "status", hidden: true }, t("reconnecting"));
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t("messages"), tabindex: 0 });
  const typing = h("p", { class: "typing" });
  const alert = h("p", { class: "alert", role: "alert" });
  const textarea = h("textarea", { id: "composer", rows: 2, maxlength: 5000, "aria-describedby": "composer-hint", onkeydown: keydown, oninput: typed });
  const sendButton = h("button", { type: "submit", class: "btn" }, t("send"));
  const fileInput = h("input", { type: "file", hidden: true, accept: app.config.documents.accept.join(","), onchange: () => upload(fileInput.files[0]) });
  const attachButton = app.config.features.documents
    ? h("button", { type: "button", class: "btn btn-quiet", onclick: () => fileInput.click() }, t("attach"))
    : null;
  const composer = chat
    ? h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); sendText(); } },
        h("label", { for: "composer", class: "sr" }, t("composer")),
        textarea,
        sendButton,
        h("p", { id: "composer-hint", class: "hint" }, t("composerHint")),
        attachButton ? h("div", { class: "composer-tools" }, attachButton, fileInput) : null,
      )
    : h("p", { class: "notice" }, t("noChat", { name: app.config.tenant.name }));
  const dialog = deleteDialog();
  const footer = h("div", { class: "footer-actions" },
    h("button", { type: "button", class: "link", onclick: () => app.startOver() }, t("newConversation")),
    h("button", { type: "button", class: "link", onclick: exportConversation }, t("exportConversation")),
    h("button", { type: "button", class: "link", onclick: () => openRights(app, { token }) }, t("rights")),
    h("button", { type: "button", class: "link link-danger", onclick: () => dialog.showModal() }, t("deleteConversation")),
  );
  // Calls: start buttons beside the heading, ring boxes and the call panel above the messages (never over the
  // composer). Only when the organisation offers calls.
  const calls = app.config.features.calls
    ? createCallController({
        role: "customer",
        interactionId: conv.id,
        socketUrl: `/ws/call/${encodeURIComponent(app.config.tenant.slug)}/${conv.id}/`,
        joinFrame: () => ({ type: "join", token }),
        sendCall: (action, media) => live.send({ type: "call", action, media }),
        text: t,
        peerName: () => expertName(),
        onActiveChange: (active) => {
          node.classList.toggle("in-call", active);
          app.callActive = active;
          app.toParent({ parley: "call", active });
        },
      })
    : null;
  const node = h("section", { class: "conversation", "aria-labelledby": "step-title" },
    head, calls ? calls.area : null, closedNote, connectionNote, log, typing, alert, composer, footer, dialog);

  function drawHead() {
    const expert = conv.expert;
    head.replaceChildren(
      expert ? avatar(expert, true) : "",
      h("div", { class: "conv-title" },
        h("h1", { id: "step-title", tabindex: "-1" }, expert ? t("conversationWith", { name: expert.name }) : t("yourConversation")),
        expert ? presence(expert.online) : "",
      ),
      calls ? calls.bar : "",
    );
    closedNote.hidden = conv.status !== "closed";
    if (calls) calls.setAvailable(conv.status === "open" && Boolean(expert));
  }

  function update(conversation) {
    const focused = document.activeElement && document.activeElement.id === "step-title";
    conv = {
      ...conv,
      ...conversation,
      expert_delivered_seq: Math.max(conv.expert_delivered_seq || 0, conversation.expert_delivered_seq || 0),
      expert_read_seq: Math.max(conv.expert_read_seq || 0, conversation.expert_read_seq || 0),
    };
    drawHead();
    if (focused) document.getElementById("step-title").focus();
    drawTicks();
  }

  // --- messages ---
  function tickState(seq) {
    if (seq <= (conv.expert_read_seq || 0)) return ["✓✓", t("read")];
    if (seq <= (conv.expert_delivered_seq || 0)) return ["✓✓", t("delivered")];
    return ["✓", t("sent")];
  }

  function drawTicks() {
    for (const [seq, element] of ticks) {
      const [glyph, label] = tickState(seq);
      if (element.title === label) continue;
      element.title = label;
      element.className = label === t("read") ? "tick tick-read" : "tick";
      element.replaceChildren(h("span", { "aria-hidden": "true" }, glyph), h("span", { class: "sr" }, label));
    }
  }

  function documentButton(doc) {
    return h("button", { type: "button", class: "doc", onclick: () => download(doc) },
      h("span", { "aria-hidden": "true" }, "↓"),
      h("span", { class: "sr" }, `${t("download")}: `),
      `${doc.filename} (${fileSize(doc.size, app.language)})`,
    );
  }

  function draw(message) {
    const mine = message.sender === "customer";
    const author = mine ? t("you") : message.sender === "system" ? t("notice") : message.author_name || expertName();
    const tick = mine ? h("span", { class: "tick" }) : null;
    if (tick) ticks.set(message.seq, tick);
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(
      h("div", { class: `msg msg-${message.sender}` },
        h("p", { class: mine ? "msg-author sr" : "msg-author" }, author),
        message.body ? h("p", { class: "msg-body" }, message.body) : null,
        message.document ? documentButton(message.document) : null,
        h("p", { class: "msg-meta" }, h("time", { datetime: message.created_at }, when(message.created_at)), tick),
      ),
    );
    if (tick) drawTicks();
    if (atBottom || mine) log.scrollTop = log.scrollHeight;
  }

  // Every message goes through here, from the socket or an HTTP answer: in seq order, each once.
  function accept(message) {
    if (!message || message.seq <= lastSeq || pending.has(message.seq)) return;
    pending.set(message.seq, message);
    flush();
    if (pending.size && !gapTimer) {
      // A gap (n+2 before n+1): ask again; if it does not fill, the missing one does not exist.
      askAgain();
      gapTimer = setTimeout(() => {
        gapTimer = null;
        if (pending.size) flush(true);
      }, GAP_WAIT_MS);
    }
  }

  function flush(skipGaps = false) {
    while (pending.size) {
      const next = pending.has(lastSeq + 1) ? lastSeq + 1 : skipGaps ? Math.min(...pending.keys()) : null;
      if (next === null) break;
      const message = pending.get(next);
      pending.delete(next);
      lastSeq = next;
      draw(message);
      arrived(message);
    }
    if (!pending.size && gapTimer) {
      clearTimeout(gapTimer);
      gapTimer = null;
    }
    scheduleSeen();
  }

  function arrived(message) {
    if (message.sender === "customer") return;
    typing.textContent = "";
    if (counting && !app.reading()) {
      unread += 1;
      app.toParent({ parley: "unread", count: unread });
    }
  }

  async function askAgain() {
    if (live.send({ type: "resume", after: lastSeq })) return;
    try {
      const data = await app.request("GET", `/conversation?after=${lastSeq}`, { token });
      update(data.conversation);
      data.messages.forEach(accept);
    } catch (error) {
      if (error.status === 401 || error.status === 404) gone(error.message);
    }
  }

  // --- receipts and typing ---
  function scheduleSeen() {
    clearTimeout(seenTimer);
    seenTimer = setTimeout(sendSeen, 300);
  }

  function sendSeen() {
    const read = app.reading() ? lastSeq : sentRead;
    if (lastSeq <= sentDelivered && read <= sentRead) return;
    if (live.send({ type: "seen", delivered: lastSeq, read })) {
      sentDelivered = lastSeq;
      sentRead = read;
    }
  }

  function readingChanged() {
    if (app.reading() && unread) {
      unread = 0;
      app.toParent({ parley: "unread", count: 0 });
    }
    sendSeen();
  }

  function showTyping() {
    typing.textContent = t("typing", { name: expertName() });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ""; }, TYPING_SHOWN_MS);
  }

  function typed() {
    const now = Date.now();
    if (textarea.value.trim() && now - lastTypingSent >= TYPING_EVERY_MS && live.send({ type: "typing" })) lastTypingSent = now;
  }

  function keydown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  }

  // --- actions ---
  function showError(text) {
    alert.textContent = text;
  }

  async function sendText() {
    const body = textarea.value.trim();
    if (!body || sendButton.disabled) return;
    showError("");
    sendButton.disabled = true;
    try {
      const message = await app.request("POST", "/conversation/messages", { token, json: { body } });
      textarea.value = "";
      accept(message);
    } catch (error) {
      showError(error.message);
    } finally {
      sendButton.disabled = false;
      textarea.focus();
    }
  }

  async function upload(file) {
    fileInput.value = "";
    if (!file) return;
    showError("");
    const max = app.config.documents.max_bytes;
    if (file.size > max) {
      showError(t("tooLarge", { size: fileSize(max, app.language) }));
      return;
    }
    const form = new FormData();
    form.append("file", file);
    attachButton.disabled = true;
    announce(t("uploading", { name: file.name }));
    try {
      accept(await app.request("POST", "/conversation/documents", { token, form }));
      announce(t("uploaded", { name: file.name }));
    } catch (error) {
      showError(error.message); // 413 and 415 come with a sentence from the server
    } finally {
      attachButton.disabled = false;
      attachButton.focus();
    }
  }

  async function download(doc) {
    showError("");
    try {
      const blob = await app.request("GET", `/conversation/documents/${doc.id}`, { token, blob: true });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: doc.filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      showError(error.message);
    }
  }

  // P28: the visitor's own copy, a ZIP with the conversation as JSON and its documents.
  async function exportConversation() {
    showError("");
    announce(t("exporting"));
    try {
      const blob = await app.request("GET", "/conversation/export", { token, blob: true });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: "conversation.zip", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      announce(t("exported"));
    } catch (error) {
      showError(error.message);
    }
  }

  function deleteDialog() {
    const problem = h("p", { class: "alert", role: "alert" });
    const confirm = h("button", { type: "button", class: "btn btn-danger", onclick: remove }, t("deleteConfirm"));
    const box = h("dialog", { "aria-labelledby": "delete-title", "aria-describedby": "delete-text" },
      h("h2", { id: "delete-title" }, t("deleteQuestion")),
      h("p", { id: "delete-text" }, t("deleteExplain")),
      problem,
      h("div", { class: "actions" },
        confirm,
        h("button", { type: "button", class: "btn btn-quiet", autofocus: true, onclick: () => box.close() }, t("cancel")),
      ),
    );
    async function remove() {
      confirm.disabled = true;
      problem.textContent = "";
      try {
        await app.request("DELETE", "/conversation", { token });
        box.close();
        gone(t("deleted"));
      } catch (error) {
        problem.textContent = error.message;
      } finally {
        confirm.disabled = false;
      }
    }
    return box;
  }

  // The conversation no longer exists for this browser (deleted, or the token is not valid any more).
  function gone(text) {
    stop();
    app.tokens.remove(token);
    app.render(
      h("section", { "aria-labelledby": "step-title" },
        h("h1", { id: "step-title", tabindex: "-1" }, text),
        h("button", { type: "button", class: "btn", onclick: () => app.startOver() }, t("newConversation")),
      ),
    );
  }

  // --- realtime ---
  function onFrame(frame) {
    switch (frame.type) {
      case "ready":
      case "conversation":
        if (frame.conversation) update(frame.conversation);
        break;
      case "message":
        accept(frame.message);
        break;
      case "typing":
        if (frame.sender !== "customer") showTyping();
        break;
      case "receipt":
        if (frame.side === "expert") update({ expert_delivered_seq: frame.delivered, expert_read_seq: frame.read });
        break;
      case "deleted":
        gone(t("deleted"));
        break;
      case "call":
        if (calls) calls.onChatFrame(frame);
        break;
      case "error":
        showError(frame.message || "");
        break;
      default:
        break;
    }
  }

  function onState(state, { everReady }) {
    clearTimeout(lostTimer);
    if (state === "ready") {
      connectionNote.hidden = true;
      sendSeen();
      if (calls) calls.chatReady();
      return;
    }
    // Brief blips stay silent; a longer outage is said once.
    lostTimer = setTimeout(() => { connectionNote.hidden = false; }, 3000);
    // Refused before "ready" (or the socket is unreachable): catch up over HTTP, and learn if the token died.
    if (!everReady) askAgain();
  }

  const live = new Live({ path: app.socketPath, token, after: () => lastSeq, onFrame, onState });

  function stop() {
    if (calls) calls.destroy();
    live.stop();
    [typingTimer, gapTimer, seenTimer, lostTimer].forEach(clearTimeout);
  }

  drawHead();
  initial.messages.forEach(accept);
  counting = true;
  app.render(node, { stop, readingChanged, nudge: () => live.nudge(), token });
  log.scrollTop = log.scrollHeight;
  live.start();
  if (calls) {
    // From an appointment's "Join the call" link: wait to be let in. Otherwise a reload rejoins a running call.
    if (app.takeCallIntent() === "waiting") calls.waitingRoom();
    else calls.resume();
  }
}
