// Booking an appointment: the type (if there are several) → a day of the next 14 → a free time, shown in the
// visitor's own time zone → name, e-mail and an optional note → confirmed, or requested for the expert to confirm.
import { ApiError } from "./api.js";
import { avatar, h, t } from "./dom.js";
import { checkFields, field, privacyNotice } from "./form.js";
import { dayKey, formats, minutes, nextDays, visitorZone, zoneLabel } from "./when.js";

const DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export function bookingOffered(app) {
  return Boolean(app.config.features.appointments && (app.config.appointment_types || []).length);
}

// `expert`: a card of the config, or null for "the first free expert" of `topic`; back(): the step before booking.
export function showBooking(app, { expert = null, topic = null, back }) {
  const types = app.config.appointment_types;
  const zone = visitorZone();
  const when = formats(app.language, zone);
  const topicId = topic && topic.id ? topic.id : null;
  let kind = types.length === 1 ? types[0] : null;
  let days = [];
  let byDay = new Map(); // "YYYY-MM-DD" in the visitor's zone -> [ISO start, ...]
  let dayChosen = null; // the day the visitor looked at last, kept when the times are reloaded
  const draft = { name: "", email: "", note: "" }; // kept while the visitor goes back and forth, never stored

  function step(title, ...children) {
    app.render(
      h("section", { "aria-labelledby": "step-title" },
        h("div", { class: "conv-head" }, expert ? avatar(expert, true) : null, h("h1", { id: "step-title", tabindex: "-1" }, title)),
        ...children,
      ),
    );
  }

  function backLink(onclick) {
    return h("p", {}, h("button", { type: "button", class: "link", onclick }, t("back")));
  }

  // What is being booked, as far as it is chosen.
  function summary({ typeName, minutesCount, expertName, start }) {
    const row = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));
    return h("dl", { class: "summary" },
      typeName ? row(t("appointmentType"), minutesCount ? `${typeName} (${minutes(minutesCount, app.language)})` : typeName) : null,
      row(t("expert"), expertName || t("firstFree")),
      start ? row(t("when"), t("timeInZone", { time: when.dateTime(start), zone: zoneLabel(zone) })) : null,
    );
  }

  const chosen = (start = null) =>
    summary({ typeName: kind.name, minutesCount: kind.duration_minutes, expertName: expert && expert.name, start });

  // --- 1. the type ---
  function showTypes() {
    const pick = (type) =>
      h("li", {},
        h("button", { type: "button", class: "btn btn-quiet", onclick: () => { kind = type; showTimes(); } },
          `${type.name} · ${minutes(type.duration_minutes, app.language)}`),
      );
    step(
      expert ? t("bookWith", { name: expert.name }) : t("bookFirstFree"),
      h("h2", { id: "types-title" }, t("chooseType")),
      h("ul", { class: "choices", "aria-labelledby": "types-title" }, types.map(pick)),
      backLink(back),
    );
  }

  // --- 2. the day and the time ---
  async function showTimes(problem = "") {
    const alert = h("p", { class: "alert", role: "alert" });
    const body = h("div", { class: "booking-times" }, h("p", { class: "status-line", role: "status" }, t("loadingTimes")));
    step(
      t("chooseTime"),
      chosen(),
      h("p", { class: "hint" }, t("yourZone", { zone: zoneLabel(zone) })),
      alert,
      body,
      backLink(types.length > 1 ? showTypes : back),
    );
    // Said once the region is on the page, so that screen readers announce it.
    if (problem) setTimeout(() => { alert.textContent = problem; }, 50);
    const now = new Date();
    const query = new URLSearchParams({
      appointment_type_id: kind.id,
      start: now.toISOString(),
      end: new Date(now.getTime() + (DAYS + 1) * DAY_MS).toISOString(),
    });
    if (expert) query.set("expert_id", expert.id);
    else query.set("topic_id", topicId);
    let data;
    try {
      data = await app.request("GET", `/slots?${query}`);
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.message : t("networkError");
      body.replaceChildren(h("button", { type: "button", class: "btn", onclick: () => showTimes() }, t("retry")));
      return;
    }
    days = nextDays(DAYS, zone, now);
    byDay = new Map(days.map((day) => [day.key, []]));
    for (const start of data.first_free) {
      const list = byDay.get(dayKey(new Date(start), zone));
      if (list) list.push(start);
    }
    if (!days.some((day) => byDay.get(day.key).length)) {
      body.replaceChildren(h("p", { class: "notice" }, t("noFreeTimes")));
      return;
    }
    const strip = dayStrip();
    body.replaceChildren(...strip.nodes);
    strip.start();
  }

  // A tab per day (arrow keys, Home and End move between them); the panel lists that day's free times.
  function dayStrip() {
    const list = h("div", { class: "days", role: "tablist", "aria-label": t("days") });
    const panel = h("div", { class: "times-panel", role: "tabpanel", id: "day-times" });
    const tabs = days.map((day, index) => {
      const count = byDay.get(day.key).length;
      return h("button", {
        type: "button",
        role: "tab",
        id: `day-${day.key}`,
        class: count ? "day" : "day day-empty",
        "aria-controls": panel.id,
        "data-date": day.key,
        onclick: () => select(index, false),
        onkeydown: (event) => moveWithKeys(event, index),
      },
      h("span", { class: "day-name" }, when.dayName(day)),
      h("span", { class: "day-date" }, when.dayDate(day)),
      count ? null : h("span", { class: "sr" }, ` (${t("noTimesShort")})`),
      );
    });
    list.append(...tabs);

    function select(index, focus) {
      dayChosen = days[index].key;
      tabs.forEach((tab, other) => {
        tab.setAttribute("aria-selected", String(other === index));
        tab.tabIndex = other === index ? 0 : -1;
      });
      const tab = tabs[index];
      panel.setAttribute("aria-labelledby", tab.id);
      drawTimes(panel, days[index]);
      if (focus) tab.focus();
      // Into view inside the strip only (scrollIntoView could scroll the embedding page too).
      if (tab.offsetLeft < list.scrollLeft || tab.offsetLeft + tab.offsetWidth > list.scrollLeft + list.clientWidth) {
        list.scrollLeft = tab.offsetLeft - (list.clientWidth - tab.offsetWidth) / 2;
      }
    }

    function moveWithKeys(event, index) {
      const target = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (target === undefined) return;
      event.preventDefault();
      select(Math.max(0, Math.min(tabs.length - 1, target)), true);
    }

    const kept = days.findIndex((day) => day.key === dayChosen);
    const first = days.findIndex((day) => byDay.get(day.key).length);
    // start() once the strip is on the page: select() measures it.
    return { nodes: [list, panel], start: () => select(kept >= 0 ? kept : first, false) };
  }

  function drawTimes(panel, day) {
    const starts = byDay.get(day.key);
    const time = (start) =>
      h("li", {}, h("button", { type: "button", class: "btn btn-quiet", onclick: () => showDetails(start) }, when.time(start)));
    panel.replaceChildren(
      h("h2", {}, when.dayLong(day)),
      starts.length ? h("ul", { class: "times" }, starts.map(time)) : h("p", {}, t("noTimes")),
    );
    if (starts.length) panel.removeAttribute("tabindex");
    else panel.tabIndex = 0; // an empty panel is reachable with Tab, as the tabs pattern asks
  }

  // --- 3. name, e-mail, note ---
  function showDetails(start) {
    const name = field("book-name", t("name"), h("input", { type: "text", autocomplete: "name", required: true, maxlength: 120 }));
    const email = field("book-email", t("email"), h("input", { type: "email", autocomplete: "email", required: true, maxlength: 254 }), { email: true });
    const note = field("book-note", t("note"), h("textarea", { rows: 3, maxlength: 2000 }), { optional: true });
    const fields = [name, email, note];
    [name.control.value, email.control.value, note.control.value] = [draft.name, draft.email, draft.note];
    const alert = h("p", { class: "alert", role: "alert" });
    const submit = h("button", { type: "submit", class: "btn" }, t("book"));

    function keep() {
      [draft.name, draft.email, draft.note] = fields.map((item) => item.control.value);
    }

    async function send(event) {
      event.preventDefault();
      alert.textContent = "";
      const invalid = checkFields(fields);
      if (invalid) {
        alert.textContent = t("fixErrors");
        invalid.focus();
        return;
      }
      keep();
      submit.disabled = true;
      submit.textContent = t("booking");
      try {
        const data = await app.request("POST", "/appointments", {
          json: {
            appointment_type_id: kind.id,
            starts_at: start,
            expert_id: expert ? expert.id : null,
            topic_id: topicId,
            name: draft.name.trim(),
            email: draft.email.trim(),
            note: draft.note.trim(),
            timezone: zone,
            language: app.language,
          },
        });
        app.tokens.add(data.conversation_token);
        showDone(data);
      } catch (error) {
        if (error.status === 409) {
          showTimes(t("slotTaken"));
          return;
        }
        alert.textContent = error instanceof ApiError ? error.message : t("networkError");
        submit.disabled = false;
        submit.textContent = t("book");
      }
    }

    step(
      t("yourDetails"),
      chosen(start),
      h("form", { novalidate: true, onsubmit: send },
        fields.map((item) => item.node),
        privacyNotice(app.config.privacy_notice_url),
        alert,
        h("div", { class: "actions" },
          submit,
          h("button", { type: "button", class: "btn btn-quiet", onclick: () => { keep(); showTimes(); } }, t("back")),
        ),
      ),
    );
  }

  // --- 4. done ---
  function showDone({ appointment, conversation_token: token }) {
    const alert = h("p", { class: "alert", role: "alert" });
    async function toConversation() {
      alert.textContent = "";
      try {
        app.openConversation(token, await app.request("GET", "/conversation?after=0", { token }));
      } catch (error) {
        alert.textContent = error.message;
      }
    }
    step(
      t(appointment.status === "confirmed" ? "bookedConfirmed" : "bookedRequested"),
      summary({ typeName: appointment.appointment_type, expertName: appointment.expert_name, start: appointment.starts_at }),
      h("p", {}, t("mailSent")),
      alert,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: toConversation }, t("toConversation", { name: appointment.expert_name })),
      ),
    );
  }

  if (kind) showTimes();
  else showTypes();
}
