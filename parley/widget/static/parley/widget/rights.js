// P29 in the web app: anyone (with or without a conversation) writes a data-subject request in their own words. It
// goes through the same intake as the organisation's public request page; a single-use e-mail link confirms it.
// With the current conversation's token, the request records that it came from that conversation.
import { announce, h, t } from "./dom.js";
import { checkFields, field } from "./form.js";

// The rights of the public request page (parley.dsr.models.Right), in its order; "" = say it in your own words.
const RIGHTS = ["access", "portability", "rectification", "erasure", "restriction", "objection", "withdrawal"];

// From the conversation or the footer. `token`: the conversation shown (or null); "Back" returns to it, or to the
// start. A running call is not ended for it: the form opens once the call is over.
export function openRights(app, { token = null } = {}) {
  if (app.callActive) {
    announce(t("rightsAfterCall"));
    return;
  }
  const back = token ? () => reopen(app, token) : () => app.startOver();
  showRights(app, { token, back });
}

async function reopen(app, token) {
  try {
    app.openConversation(token, await app.request("GET", "/conversation?after=0", { token }));
  } catch {
    app.startOver();
  }
}

// `token`: the conversation the visitor came from (or null); `back`: where "Back" leads.
export function showRights(app, { token = null, back }) {
  const email = field("rights-email", t("email"),
    h("input", { type: "email", autocomplete: "email", required: true, maxlength: 254 }), { email: true });
  const right = field("rights-right", t("rightsRight"),
    h("select", {},
      h("option", { value: "" }, t("rightsNone")),
      RIGHTS.map((value) => h("option", { value }, t(`right_${value}`))),
    ), { optional: true });
  const text = field("rights-text", t("rightsText"), h("textarea", { rows: 5, maxlength: 5000 }), { optional: true });
  // Hints join the error line in each field's description.
  describe(email, h("p", { class: "hint", id: "rights-email-hint" }, t("rightsEmailHint")));
  describe(text, h("p", { class: "hint", id: "rights-text-hint" }, t("rightsTextHint")));
  const alert = h("p", { class: "alert", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn" }, t("rightsSend"));
  const fields = [email, right, text];

  function describe(item, hint) {
    item.control.before(hint);
    item.control.setAttribute("aria-describedby", `${hint.id} ${item.error.id}`);
  }

  function fieldError(item, problem) {
    item.error.textContent = problem;
    item.error.hidden = !problem;
    if (problem) item.control.setAttribute("aria-invalid", "true");
    else item.control.removeAttribute("aria-invalid");
  }

  // Marks every problem and returns the first invalid control, as the other forms do.
  function check() {
    let first = checkFields(fields);
    const missing = !text.control.value.trim() && !right.control.value;
    fieldError(text, missing ? t("rightsMissing") : "");
    if (missing && !first) first = text.control;
    return first;
  }

  async function send(event) {
    event.preventDefault();
    alert.textContent = "";
    const invalid = check();
    if (invalid) {
      alert.textContent = t("fixErrors");
      invalid.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("sending");
    const address = email.control.value.trim();
    let answer = null;
    let failure = null;
    try {
      answer = await app.request("POST", "/privacy-request", {
        token,
        json: { email: address, right: right.control.value, text: text.control.value.trim(), language: app.language },
      });
    } catch (error) {
      failure = error;
    }
    submit.disabled = false;
    submit.textContent = t("rightsSend");
    if (answer) {
      sent(address, answer.hours);
      return;
    }
    // The server's sentence (bad address, too many requests, ...) is announced; a field it names is marked.
    const problems = (failure.extra && failure.extra.fields) || {};
    let first = null;
    for (const [name, item] of Object.entries({ email, right, text })) {
      if (!problems[name]) continue;
      fieldError(item, problems[name]);
      first = first || item.control;
    }
    alert.textContent = failure.message;
    (first || submit).focus();
  }

  function sent(address, hours) {
    app.render(
      h("section", { "aria-labelledby": "step-title" },
        h("div", { role: "status" },
          h("h1", { id: "step-title", tabindex: "-1" }, t("rightsSent")),
          h("p", {}, t("rightsSentHint", { email: address, hours })),
        ),
        h("button", { type: "button", class: "btn", onclick: back }, t("back")),
      ),
      { token }, // the footer's "Your privacy rights" keeps the conversation it came from
    );
  }

  app.render(
    h("section", { "aria-labelledby": "step-title" },
      h("h1", { id: "step-title", tabindex: "-1" }, t("rights")),
      h("p", {}, t("rightsIntro")),
      h("form", { novalidate: true, onsubmit: send },
        email.node, right.node, text.node,
        alert,
        h("div", { class: "actions" },
          submit,
          h("button", { type: "button", class: "btn btn-quiet", onclick: back }, t("back")),
        ),
      ),
    ),
    { token },
  );

  // Prefilled with the address the visitor gave in this conversation (asked with its token; never stored here).
  if (token) {
    app.request("GET", "/privacy-request/prefill", { token }).then(
      (data) => {
        if (data && data.email && !email.control.value) email.control.value = data.email;
      },
      () => {}, // no conversation any more: the visitor types the address
    );
  }
}
