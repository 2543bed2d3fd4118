/* Parley loader: a button that opens the advice web app in an iframe. Sets no cookies; the one thing it stores is a
   per-session flag so the invitation shows once. Styles go through element.style, so a host CSP without
   'unsafe-inline' styles does not break it. */
(function () {
  "use strict";
  var C = {{ config|safe }};
  var ID = "parley-" + C.slug;
  var CALL_KEY = "parley:" + C.slug + ":call";
  if (document.getElementById(ID)) return;
  var T = C.texts[(navigator.language || "").slice(0, 2).toLowerCase()] || C.texts[C.lang] || C.texts.en;
  var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  var SHADOW = "0 4px 16px rgba(0,0,0,.25)";
  var Z = "2147483000";
  var narrow = matchMedia("(max-width: 480px)");
  var button, badge, panel, frame, bubble, open = false;

  function el(tag, css, parent) {
    var e = document.createElement(tag);
    e.style.all = "initial"; // the host page's CSS must not leak in
    e.style.boxSizing = "border-box";
    Object.assign(e.style, css);
    if (parent) parent.appendChild(e);
    return e;
  }

  // Visible keyboard focus on any background: a white ring inside a dark one.
  function ring(e, rest) {
    e.addEventListener("focus", function () {
      var keyboard = true;
      try { keyboard = e.matches(":focus-visible"); } catch (err) { /* older browsers */ }
      if (keyboard) Object.assign(e.style, { outline: "2px solid #fff", boxShadow: "0 0 0 5px #111" });
    });
    e.addEventListener("blur", function () { Object.assign(e.style, { outline: "none", boxShadow: rest }); });
  }

  function post(message) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, C.origin);
  }

  function layout() {
    if (!panel) return;
    var full = narrow.matches;
    Object.assign(panel.style, full
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "20px", bottom: "88px", width: "min(380px, calc(100vw - 40px))",
          height: "min(640px, calc(100vh - 108px))", borderRadius: "12px" });
    panel.style.display = open ? "block" : "none";
    button.style.display = open && full ? "none" : "flex";
  }

  function show(wanted) {
    if (wanted && !frame) {
      panel = el("div", { position: "fixed", zIndex: Z, background: "#fff", boxShadow: SHADOW, overflow: "hidden" }, document.body);
      panel.id = ID + "-panel";
      frame = el("iframe", { display: "block", width: "100%", height: "100%", border: "0" }, panel);
      frame.title = T.title;
      frame.referrerPolicy = "no-referrer";
      // Calls: the web app asks for camera, microphone and screen itself (a cross-origin frame needs this).
      frame.allow = "camera; microphone; display-capture; autoplay";
      frame.src = C.origin + "/w/" + C.slug + "/?page=" + encodeURIComponent(location.pathname);
      frame.addEventListener("load", function () { post({ parley: "panel", open: open }); });
      button.setAttribute("aria-controls", panel.id);
    }
    if (!panel) return;
    open = wanted;
    button.setAttribute("aria-expanded", String(open));
    layout();
    post({ parley: "panel", open: open });
    if (open) {
      unread(0);
      hideBubble();
      frame.focus();
    } else {
      button.focus();
    }
  }

  function unread(count) {
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.style.display = count > 0 ? "block" : "none";
    if (count > 0) button.setAttribute("aria-label", T.open + " (" + T.unread.replace("%(count)s", count) + ")");
    else button.removeAttribute("aria-label");
  }

  // Page patterns as in parley/experts/pages.py: * is any characters, a trailing slash does not matter,
  // and "/loans/*" also covers "/loans".
  function pathOf(p) {
    try { p = decodeURIComponent(p); } catch (err) { /* keep it encoded */ }
    return p.replace(/\/+$/, "") || "/";
  }
  function glob(pattern, path) {
    var parts = pattern.split("*").map(function (s) { return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"); });
    return new RegExp("^" + parts.join(".*") + "$").test(path);
  }
  function pageMatches() {
    var here = pathOf(location.pathname);
    return !C.pages.length || C.pages.some(function (pattern) {
      pattern = pathOf(pattern);
      return glob(pattern, here) || (/\/\*$/.test(pattern) && glob(pattern.slice(0, -2) || "/", here));
    });
  }

  function hideBubble() {
    if (bubble) bubble.style.display = "none";
  }

  function invite() {
    var key = "parley:" + C.slug + ":invited";
    try { if (sessionStorage.getItem(key)) return; } catch (err) { /* no storage: invite anyway */ }
    if (!C.delay || !pageMatches()) return;
    // The live region exists before its text arrives, so screen readers announce the invitation.
    bubble = el("div", { position: "fixed", zIndex: Z, right: "20px", bottom: "88px", maxWidth: "min(300px, calc(100vw - 40px))",
      background: "#fff", color: "#1a1a1a", border: "1px solid #767676", borderRadius: "12px", boxShadow: SHADOW,
      padding: "4px 4px 4px 0", display: "none", alignItems: "flex-start", font: "15px/1.4 " + FONT }, document.body);
    bubble.setAttribute("aria-live", "polite");
    setTimeout(function () {
      if (frame) return;
      try { sessionStorage.setItem(key, "1"); } catch (err) { /* fine */ }
      var text = el("button", { display: "block", padding: "10px 8px 10px 14px", color: "#1a1a1a", font: "inherit",
        textAlign: "left", cursor: "pointer", textDecoration: "underline", borderRadius: "8px" }, bubble);
      text.type = "button";
      text.textContent = C.invite || T.invite;
      text.addEventListener("click", function () { show(true); });
      var close = el("button", { display: "block", minWidth: "36px", minHeight: "36px", color: "#1a1a1a", font: "22px/1 " + FONT,
        textAlign: "center", cursor: "pointer", borderRadius: "8px" }, bubble);
      close.type = "button";
      close.textContent = "\u00d7";
      close.setAttribute("aria-label", T.dismiss);
      close.addEventListener("click", function () { hideBubble(); button.focus(); });
      ring(text, "none");
      ring(close, "none");
      bubble.style.display = "flex";
    }, C.delay * 1000);
  }

  function init() {
    button = el("button", { position: "fixed", zIndex: Z, right: "20px", bottom: "20px", display: "flex", alignItems: "center",
      gap: "8px", minHeight: "52px", minWidth: "52px", padding: "0 20px", borderRadius: "26px", background: C.primary,
      color: C.text, font: "600 16px/1.2 " + FONT, cursor: "pointer", boxShadow: SHADOW }, document.body);
    button.id = ID;
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("width", "22");
    icon.setAttribute("height", "22");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    path.setAttribute("fill", "currentColor");
    icon.appendChild(path);
    button.appendChild(icon);
    el("span", { color: "inherit", font: "inherit" }, button).textContent = T.open;
    badge = el("span", { position: "absolute", top: "-6px", right: "-6px", minWidth: "22px", padding: "0 6px", borderRadius: "11px",
      background: "#b00020", color: "#fff", font: "700 13px/22px " + FONT, textAlign: "center", display: "none" }, button);
    badge.setAttribute("aria-hidden", "true");
    ring(button, SHADOW);
    button.addEventListener("click", function () { show(!open); });

    addEventListener("message", function (event) {
      if (event.origin !== C.origin || !frame || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.parley === "close") show(false);
      else if (data.parley === "unread") unread(Math.max(0, parseInt(data.count, 10) || 0));
      else if (data.parley === "call") {
        // While a call runs, a reload of this page opens the panel again, so the web app rejoins the call.
        try {
          if (data.active) sessionStorage.setItem(CALL_KEY, "1");
          else sessionStorage.removeItem(CALL_KEY);
        } catch (err) { /* no storage: the visitor reopens the panel */ }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && open) show(false);
    });
    if (narrow.addEventListener) narrow.addEventListener("change", layout);
    var inCall = false;
    try { inCall = sessionStorage.getItem(CALL_KEY) === "1"; } catch (err) { /* no storage */ }
    if (inCall) show(true);
    else invite();
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
