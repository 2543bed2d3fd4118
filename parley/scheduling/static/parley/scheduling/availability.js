// Weekly hours: an "Add a range" button per weekday adds an empty row (the page works without it: every day
// always has one empty row after saving).
const form = document.getElementById("weekly-form");
const template = document.getElementById("range-template");
if (form && template) {
  const maxRows = Number(form.dataset.maxRows || 12);
  for (const fieldset of form.querySelectorAll("fieldset.weekday")) {
    const weekday = fieldset.dataset.weekday;
    const dayName = fieldset.querySelector("legend").textContent.trim();
    const ranges = fieldset.querySelector(".ranges");
    const button = fieldset.querySelector(".add-range");
    const update = () => { button.hidden = ranges.children.length >= maxRows; };
    button.addEventListener("click", () => {
      const index = ranges.children.length;
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.row = String(index + 1);
      const parts = ["start", "end"];
      row.querySelectorAll(".field").forEach((field, i) => {
        const name = `h${weekday}-${index}-${parts[i]}`;
        const input = field.querySelector("input");
        input.name = name;
        input.id = `id_${name}`;
        field.querySelector("label").htmlFor = input.id;
        field.querySelector(".sr-only").textContent = ` (${dayName}, ${index + 1})`;
      });
      ranges.append(row);
      row.querySelector("input").focus();
      update();
    });
    update();
  }
}
