// Before a conversation: pick a topic (if the tenant has any), then an expert, then say who you are.
import { ApiError } from "./api.js";
import { bookingOffered, showBooking } from "./booking.js";
import { avatar, h, presence, t } from "./dom.js";
import { checkFields, field, privacyNotice } from "./form.js";
import { formats, visitorZone } from "./when.js";

export function showTopics(app) {
  const { topics } = app.config;
  if (!topics.length || !app.config.experts.length) {
    showExperts(app, null);
    return;
  }
  const pick = (topic) => h("li", {}, h("button", { type: "button", class: "btn btn-quiet", onclick: () => showExperts(app, topic) }, topic.name));
  app.render(
    h("section", { "aria-labelledby": "step-title" },
      h("h1", { id: "step-title", tabindex: "-1" }, t("chooseTopic")),
      h("ul", { class: "choices" }, topics.map(pick), pick({ id: null, name: t("allTopics") })),
    ),
  );
}

function showExperts(app, topic) {
  const { config } = app;
  const chat = config.features.chat;
  const booking = bookingOffered(app);
  const when = formats(app.language, visitorZone());
  const experts = config.experts.filter((expert) => !topic || !topic.id || expert.topic_ids.includes(topic.id));
  const again = () => showExperts(app, topic);
  const card = (expert) => {
    const online = expert.online;
    const action = chat
      ? h("button", { type: "button", class: "btn", onclick: () => showStart(app, expert, topic) }, t(online ? "chatNow" : "writeMessage"))
      : null;
    const book = booking
      ? h("button", { type: "button", class: chat ? "btn btn-quiet" : "btn", onclick: () => showBooking(app, { expert, topic, back: again }) }, t("bookAppointment"))
      : null;
    return h("li", { class: "card" },
      h("div", { class: "card-head" },
        avatar(expert),
        h("div", {}, h("h2", {}, expert.name), presence(online)),
      ),
      expert.description ? h("p", {}, expert.description) : null,
      expert.language_names.length ? h("p", { class: "hint" }, t("languages", { languages: expert.language_names.join(", ") })) : null,
      action || book ? h("div", { class: "actions" }, action, book) : null,
      chat && !online ? h("p", { class: "hint" }, t("offlineHint")) : null,
      booking && expert.next_slot ? h("p", { class: "hint" }, t("nextFree", { when: when.soon(expert.next_slot) })) : null,
    );
  };
  const firstFree = booking && topic && topic.id && experts.length
    ? h("div", { class: "card first-free" },
        h("h2", {}, t("firstFree")),
        h("p", { class: "hint" }, t("firstFreeHint")),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "btn", onclick: () => showBooking(app, { topic, back: again }) }, t("bookFirstFree")),
        ),
      )
    : null;
  app.render(
    h("section", { "aria-labelledby": "step-title" },
      h("h1", { id: "step-title", tabindex: "-1" }, topic && topic.id ? topic.name : t("chooseExpert")),
      chat || booking ? null : h("p", { class: "notice" }, t("noChat", { name: config.tenant.name })),
      firstFree,
      experts.length ? h("ul", { class: "cards" }, experts.map(card)) : h("p", {}, t("noExperts")),
      config.topics.length && config.experts.length
        ? h("p", {}, h("button", { type: "button", class: "link", onclick: () => showTopics(app) }, t("otherTopic")))
        : null,
    ),
  );
}

function showStart(app, expert, topic) {
  const name = field("start-name", t("name"), h("input", { type: "text", autocomplete: "name", required: true, maxlength: 120 }));
  const email = field("start-email", t("email"), h("input", { type: "email", autocomplete: "email", required: true, maxlength: 254 }), { email: true });
  const message = field("start-message", t("message"), h("textarea", { rows: 4, required: true, maxlength: 5000 }));
  const alert = h("p", { class: "alert", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn" }, t("start"));
  const fields = [name, email, message];

  async function send(event) {
    event.preventDefault();
    alert.textContent = "";
    const invalid = checkFields(fields);
    if (invalid) {
      alert.textContent = t("fixErrors");
      invalid.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("sending");
    try {
      const data = await app.request("POST", "/conversations", {
        json: {
          expert_id: expert.id,
          topic_id: topic && topic.id ? topic.id : null,
          name: name.control.value.trim(),
          email: email.control.value.trim(),
          message: message.control.value.trim(),
          timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
          language: app.language,
          page: new URLSearchParams(location.search).get("page") || "/", // anonymous statistics only (P10)
        },
      });
      app.tokens.add(data.token);
      app.openConversation(data.token, data);
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.message : t("networkError");
      submit.disabled = false;
      submit.textContent = t("start");
    }
  }

  app.render(
    h("section", { "aria-labelledby": "step-title" },
      h("div", { class: "conv-head" }, avatar(expert, true), h("h1", { id: "step-title", tabindex: "-1" }, t("writeTo", { name: expert.name }))),
      h("form", { novalidate: true, onsubmit: send },
        fields.map((item) => item.node),
        privacyNotice(app.config.privacy_notice_url),
        alert,
        h("div", { class: "actions" },
          submit,
          h("button", { type: "button", class: "btn btn-quiet", onclick: () => showExperts(app, topic) }, t("back")),
        ),
      ),
    ),
  );
}
