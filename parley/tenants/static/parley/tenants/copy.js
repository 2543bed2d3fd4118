// Copy buttons: <button data-copy="ID" data-copied="…" data-failed="…" hidden> copies the text of the element #ID.
// The button stays hidden where the clipboard API is missing; the text can still be selected and copied by hand.

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function announce(button, text) {
  const status = document.getElementById(button.getAttribute("aria-describedby") || "");
  if (status) status.textContent = text;
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      announce(button, button.dataset.copied || "");
    } catch {
      selectText(source);
      announce(button, button.dataset.failed || "");
    }
  });
}
