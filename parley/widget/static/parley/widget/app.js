// The end-customer web app: runs in the loader's iframe, or standalone (the e-mail link /w/<slug>/#resume=<token>).
import { apiClient } from "./api.js";
import { showTopics } from "./chooser.js";
import { showConversation } from "./conversation.js";
import { h, readJSON, t } from "./dom.js";
import { openRights } from "./rights.js";
import { tokenStore } from "./tokens.js";

const settings = readJSON("parley-app");
const embedded = window.parent !== window;
const main = document.getElementById("main");
let parentOrigin = null; // learnt from the loader's first message, checked against the tenant's websites
let view = null; // the current step's controller: {stop, readingChanged, nudge}
let painted = false;

const app = {
  config: readJSON("parley-config"),
  language: settings.language,
  socketPath: settings.socket,
  request: apiClient(settings.api),
  tokens: tokenStore(settings.slug),
  panelOpen: !embedded,
  callActive: false, // told to the loader, which reopens the panel after a reload while a call runs
  callIntent: null, // "waiting": opened from an appointment's "Join the call" (#resume=<token>&call=waiting)

  takeCallIntent() {
    const intent = app.callIntent;
    app.callIntent = null;
    return intent;
  },

  // The visitor can see the conversation: read receipts are sent only then.
  reading: () => document.visibilityState === "visible" && app.panelOpen,

  render(node, controller = null) {
    if (view && view.stop) view.stop();
    view = controller;
    main.replaceChildren(node);
    main.scrollTop = 0;
    // Move focus to the new step; a standalone page's first paint leaves focus where the browser put it.
    if (app.panelOpen && (painted || embedded)) focusStep();
    painted = true;
  },

  toParent(message) {
    if (embedded && parentOrigin) window.parent.postMessage(message, parentOrigin);
  },

  startOver() {
    showTopics(app);
  },

  openConversation(token, data) {
    showConversation(app, token, data);
  },
};

function focusStep() {
  const heading = main.querySelector("[tabindex='-1']");
  if (heading) heading.focus();
}

// A returning visitor (P16) goes straight to their conversation; tokens the server no longer knows are forgotten.
async function resume() {
  for (const token of app.tokens.list()) {
    try {
      showConversation(app, token, await app.request("GET", "/conversation?after=0", { token }));
      return;
    } catch (error) {
      if (error.status === 401 || error.status === 404) {
        app.tokens.remove(token);
        continue;
      }
      app.render(
        h("section", { "aria-labelledby": "step-title" },
          h("h1", { id: "step-title", tabindex: "-1" }, error.message),
          h("button", { type: "button", class: "btn", onclick: resume }, t("retry")),
        ),
      );
      return;
    }
  }
  showTopics(app);
}

function takeResumeLink() {
  if (!location.hash.startsWith("#resume=")) return;
  // #resume=<token>, or #resume=<token>&call=waiting from an appointment's "Join the call".
  const [first, ...rest] = location.hash.slice(1).split("&");
  let token = first.slice("resume=".length);
  try {
    token = decodeURIComponent(token);
  } catch {
    token = "";
  }
  if (rest.includes("call=waiting")) app.callIntent = "waiting";
  if (token) app.tokens.add(token);
  // The token must not stay in the address bar, the history or a bookmark.
  history.replaceState(null, "", location.pathname + location.search);
}

window.addEventListener("message", (event) => {
  if (!embedded || event.source !== window.parent) return;
  if (event.origin !== location.origin && !settings.origins.includes(event.origin)) return;
  const first = parentOrigin === null;
  parentOrigin = event.origin;
  if (first) app.toParent({ parley: "call", active: app.callActive });
  const data = event.data || {};
  if (data.parley === "panel") {
    const opened = Boolean(data.open) && !app.panelOpen;
    app.panelOpen = Boolean(data.open);
    if (opened) focusStep();
    if (view && view.readingChanged) view.readingChanged();
  }
});

document.addEventListener("visibilitychange", () => {
  if (!view) return;
  if (view.readingChanged) view.readingChanged();
  if (document.visibilityState === "visible" && view.nudge) view.nudge();
});
window.addEventListener("online", () => view && view.nudge && view.nudge());

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && embedded && !document.querySelector("dialog[open]")) app.toParent({ parley: "close" });
});

const closeButton = document.getElementById("parley-close");
if (embedded) {
  closeButton.hidden = false;
  closeButton.addEventListener("click", () => app.toParent({ parley: "close" }));
}

// P29: "Your privacy rights" in the footer, for every visitor; from a conversation it carries that conversation.
document.getElementById("parley-rights").addEventListener("click", () => openRights(app, { token: (view && view.token) || null }));

takeResumeLink();
resume();
