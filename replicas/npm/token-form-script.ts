// The browser side of the "New Granular Access Token" form, in any page shape: the custom
// dropdowns (a <details>, or a button with a listbox; native <select>s need nothing), the package and scope picker (a filtered
// list, or a combobox) with its chips and count ("2 packages selected"), IP range rows, the Custom
// date, and the "This token will:" summary (docs/sites/npm.md, "Token pages"). Plain DOM, no framework.
export const TOKEN_FORM_SCRIPT = `
const form = document.getElementById("gat");
const value = (name) => form.elements.namedItem(name).value;
const byId = (id) => document.getElementById(id);
const chips = [...byId("selected_items").children];
const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");

for (const menu of form.querySelectorAll("[data-input]")) {
  const list = menu.querySelector("[role=listbox]");
  const input = form.elements.namedItem(menu.dataset.input);
  const trigger = menu.querySelector("summary, button");
  const show = (open) => {
    list.replaceChildren(...(open ? [menu.querySelector("template").content.cloneNode(true)] : []));
    for (const option of list.children) option.setAttribute("aria-selected", String(option.dataset.value === input.value));
  };
  const details = menu.tagName === "DETAILS";
  const setOpen = (open) => {
    if (details) return void (menu.open = open);
    trigger.setAttribute("aria-expanded", String(open));
    list.hidden = !open;
    show(open);
  };
  if (details) menu.addEventListener("toggle", () => show(menu.open));
  else trigger.addEventListener("click", () => setOpen(trigger.getAttribute("aria-expanded") !== "true"));
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (!option) return;
    input.value = option.dataset.value;
    trigger.textContent = option.textContent;
    setOpen(false);
    refresh();
  });
}
form.addEventListener("keydown", (event) => {
  if (event.target.matches("[role=option]") && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    event.target.click();
  }
});

const picker = byId("package_filter");
const options = byId("package_options");
const isChosen = (name) => chips.some((chip) => chip.dataset.name === name && !chip.hidden);
const matching = (option) => option.dataset.name.toLowerCase().includes(picker.value.trim().toLowerCase());
function choose(name, selected) {
  for (const option of options.children) if (option.dataset.name === name) option.setAttribute("aria-selected", String(selected));
  for (const chip of chips) {
    if (chip.dataset.name !== name) continue;
    chip.hidden = !selected;
    chip.querySelector("input").disabled = !selected;
  }
  refresh();
}
byId("selected_items").addEventListener("click", (event) => {
  if (event.target.closest("button")) choose(event.target.closest("li").dataset.name, false);
});
if (picker.getAttribute("role") === "combobox") {
  // The options are made when the box opens or is typed into, and gone when it closes.
  const setOpen = (open) => {
    const fresh = open ? [...byId("package_option_items").content.cloneNode(true).children].filter(matching) : [];
    for (const option of fresh) option.setAttribute("aria-selected", String(isChosen(option.dataset.name)));
    options.replaceChildren(...fresh);
    options.hidden = !open;
    picker.setAttribute("aria-expanded", String(open));
  };
  for (const event of ["focus", "click", "input"]) picker.addEventListener(event, () => setOpen(true));
  picker.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
  document.addEventListener("click", (event) => {
    if (!byId("package_picker").contains(event.target)) setOpen(false);
  });
  options.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (!option) return;
    choose(option.dataset.name, true);
    picker.value = "";
    setOpen(false);
  });
} else {
  options.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) choose(option.dataset.name, true);
  });
  picker.addEventListener("input", () => {
    for (const option of options.children) option.hidden = !matching(option);
  });
}

byId("add_cidr").addEventListener("click", () => byId("cidr_rows").append(byId("cidr_row").content.cloneNode(true)));
byId("cidr_rows").addEventListener("click", (event) => {
  if (event.target.matches(".cidr-remove")) event.target.closest(".cidr-row").remove();
});

function selectedText() {
  const shown = chips.filter((chip) => !chip.hidden);
  return ["package", "scope"]
    .map((kind) => [shown.filter((chip) => chip.dataset.kind === kind).length, kind])
    .filter(([n]) => n > 0)
    .map(([n, kind]) => plural(n, kind))
    .join(" and ");
}

function bullet(...parts) {
  const item = document.createElement("li");
  item.append(...parts);
  return item;
}
function strong(text) {
  const bold = document.createElement("strong");
  bold.textContent = text;
  return bold;
}
const choiceText = (name) => {
  const field = form.elements.namedItem(name);
  const shown = field.tagName === "SELECT" ? field.selectedOptions[0] : form.querySelector("[data-input=" + name + "] :is(summary, button)");
  return shown.textContent.trim().toLowerCase();
};

function expiryDate() {
  if (value("expires") !== "custom") return new Date(Date.parse(byId("token_summary").dataset.now) + Number(value("expires")) * 86400000);
  const picked = Date.parse(value("expiration_date") + "T00:00:00Z");
  return Number.isNaN(picked) ? undefined : new Date(picked);
}

function refresh() {
  byId("package_picker").hidden = value("packages_all") !== "false";
  byId("custom_expiration").hidden = value("expires") !== "custom";
  const selected = selectedText();
  byId("selected_count").textContent = selected ? selected + " selected" : "";
  const bullets = [];
  if (value("packages_and_scopes_permission") !== "no-access") {
    const what = value("packages_all") === "true" ? "all packages" : selected || "no packages or scopes yet";
    bullets.push(bullet("Provide ", strong(choiceText("packages_and_scopes_permission")), " access to " + what));
  }
  if (value("orgs_permission") !== "no-access") {
    const orgs = form.querySelectorAll("input[name=orgs]:checked").length;
    bullets.push(bullet("Provide ", strong(choiceText("orgs_permission")), " access to " + plural(orgs, "organization")));
  }
  if (form.elements.namedItem("bypass_2fa").checked) bullets.push(bullet("Bypass two-factor authentication when publishing"));
  const expires = expiryDate();
  const longDate = { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" };
  if (expires) bullets.push(bullet("Expires on ", strong(expires.toLocaleDateString("en-US", longDate))));
  byId("summary_list").replaceChildren(...bullets);
}
form.addEventListener("input", refresh);
form.addEventListener("change", refresh);
refresh();
`;
