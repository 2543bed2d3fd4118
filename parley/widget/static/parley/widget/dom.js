// Small DOM and text helpers. Text is always inserted as text, never parsed as HTML.

export function readJSON(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

const TEXTS = readJSON("parley-texts");

// A translated text from the page (the server translated it), with %(name)s placeholders filled in.
export function t(key, vars = {}) {
  return (TEXTS[key] ?? key).replace(/%\((\w+)\)s/g, (_match, name) => String(vars[name] ?? ""));
}

// h("button", {class: "btn", onclick: fn}, "Text", child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

// Say something to screen-reader users without moving focus.
export function announce(text) {
  const region = document.getElementById("parley-announce");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

export function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join("");
}

export function avatar(person, small = false) {
  const cls = small ? "avatar avatar-small" : "avatar";
  if (person.photo_url) return h("img", { class: cls, src: person.photo_url, alt: "", width: 56, height: 56 });
  return h("span", { class: cls, "aria-hidden": "true" }, initials(person.name || "?"));
}

export function presence(online) {
  return h("span", { class: online ? "presence is-online" : "presence" }, t(online ? "online" : "offline"));
}

export function fileSize(bytes, language) {
  const units = [["megabyte", 1024 * 1024], ["kilobyte", 1024]];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      return new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(bytes / size);
    }
  }
  return new Intl.NumberFormat(language, { style: "unit", unit: "byte", unitDisplay: "short" }).format(bytes);
}
