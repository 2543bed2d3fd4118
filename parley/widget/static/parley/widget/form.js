// Form pieces the chat start and the booking share: labelled fields with their error line, the check, the privacy notice.
import { h, t } from "./dom.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// {node, control, error}; `optional` fields are not required, `email` fields must look like an address.
export function field(id, label, control, { optional = false, email = false } = {}) {
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  control.id = id;
  control.setAttribute("aria-describedby", error.id);
  return { node: h("div", { class: "field" }, h("label", { for: id }, label), control, error), control, error, optional, email };
}

// Marks every problem; returns the first invalid control (to focus) or null.
export function checkFields(fields) {
  let first = null;
  for (const item of fields) {
    const value = item.control.value.trim();
    let problem = value || item.optional ? "" : t("required");
    if (!problem && value && item.email && !EMAIL.test(value)) problem = t("invalidEmail");
    item.error.textContent = problem;
    item.error.hidden = !problem;
    if (problem) item.control.setAttribute("aria-invalid", "true");
    else item.control.removeAttribute("aria-invalid");
    if (problem && !first) first = item.control;
  }
  return first;
}

export function privacyNotice(url) {
  const [before, after = ""] = t("privacy", { link: "\u0000" }).split("\u0000");
  const safe = /^(https?:)?\//.test(url) ? url : "#";
  const link = h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, t("privacyLink"), h("span", { class: "sr" }, ` ${t("newTab")}`));
  return h("p", { class: "hint" }, before, link, after);
}
