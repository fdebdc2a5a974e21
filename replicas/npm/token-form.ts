// The "New Granular Access Token" page (docs/sites/npm.md, "Token pages"). Its DOM is inferred, so
// it comes in three shapes (settings.pageShape): "documented" has the fields in the docs' order,
// <details> dropdowns (a public script found one whose <summary> reads "No access" [I]) and a
// package list filtered by a search box; "variant" puts the fields in another order, uses buttons
// that open listboxes and a combobox whose options exist only once it is opened or typed into;
// "labelled" names no group at all (headings over plain blocks), labels each control itself
// (a native <select> for each permission, the expiry a combobox button named by aria-labelledby,
// its date input shown only after "Custom") and words the bypass box as a public note does.
// Each choice travels in the POST under the same name, whichever the shape.
import { html, type Html } from "../shared/html.js";
import { NO_ACCESS, type Account, type NpmPermission, type OrgPermission } from "./directory.js";
import { ORG_PERMISSION_LABELS, PACKAGE_PERMISSION_LABELS } from "./labels.js";
import { csrfField, errorList, renderPage, type SignedInHeader } from "./layout.js";
import { TOKEN_FORM_SCRIPT } from "./token-form-script.js";

/** Option texts seen by scripts: 7, 30, 60 and 90 days, or Custom with a date (docs/sites/npm.md, "Granular token form" step 7). */
export const EXPIRATION_LABELS = { "7": "7 days", "30": "30 days", "60": "60 days", "90": "90 days", custom: "Custom" } as const;
export type ExpirationChoice = keyof typeof EXPIRATION_LABELS;

export interface GatFormState {
  name: string;
  description: string;
  bypass2fa: boolean;
  cidr: string[];
  packagesPermission: NpmPermission | typeof NO_ACCESS;
  /** Undefined until a radio is chosen: "All packages" must be clicked explicitly (docs/sites/npm.md, "Granular token form" step 5 [I]). */
  packagesAll: boolean | undefined;
  packages: string[];
  scopes: string[];
  orgsPermission: OrgPermission | typeof NO_ACCESS;
  orgs: string[];
  expires: ExpirationChoice;
  /** yyyy-mm-dd, for "Custom". */
  expirationDate: string;
}

export interface FormView {
  shape: "documented" | "variant" | "labelled";
  account: Account;
  state: GatFormState;
  errors: string[];
  now: Date;
  csrf: string;
  header: SignedInHeader;
  action: string;
  cancel: string;
}

const DAY_MS = 86_400_000;
const when = (condition: boolean, attribute: string) => (condition ? attribute : "");

type Section = (view: FormView, shape: Shape) => Html;

interface Shape {
  order: Section[];
  /** A titled part of the form: a fieldset named by its legend, or (labelled) a heading or a line over a plain block. */
  part(id: string, title: string, body: Html, nested?: boolean): Html;
  /** The part around the expiry: the "Expiration" fieldset, or nothing around it. */
  expiryPart(body: Html): Html;
  dateLabel: string;
  /** A permission's single-choice picker, with its "Permissions" label. */
  permission(input: DropdownInput): Html;
  /** The expiry's single-choice picker, with its "Expiration" label (the legend, or its own). */
  expiry(input: DropdownInput): Html;
  /** The multi-choice picker of packages and scopes; chosen ones are also shown as chips. */
  packagePicker(items: PickerItem[], chosen: (name: string) => boolean): Html;
  bypassLabel: string;
  descriptionLabel: string;
}

interface DropdownInput {
  name: string;
  value: string;
  labels: Record<string, string>;
  /** The id of the label's element (made by the picker when it has its own label). */
  labelledBy: string;
}

interface PickerItem {
  name: string;
  kind: "package" | "scope";
}

const nameField: Section = ({ state }) =>
  html`<div class="field"><label for="token_name">Token name</label>
    <input id="token_name" name="name" type="text" aria-required="true" value="${state.name}"></div>`;

const descriptionField: Section = ({ state }, shape) =>
  html`<div class="field"><label for="token_description">${shape.descriptionLabel}</label>
    <textarea id="token_description" name="token_description">${state.description}</textarea></div>`;

const bypassField: Section = ({ state }, shape) =>
  html`<div class="field"><input id="bypass_2fa" name="bypass_2fa" type="checkbox" value="true" aria-describedby="bypass_2fa_hint" ${when(state.bypass2fa, "checked")}>
    <label for="bypass_2fa">${shape.bypassLabel}</label>
    <p class="hint" id="bypass_2fa_hint">Publishing with this token will not ask for a one-time password. Token and account management always will.</p></div>`;

const fieldset = (id: string, title: string, body: Html) => html`<fieldset id="${id}"><legend>${title}</legend>${body}</fieldset>`;
const expirationFieldset = (body: Html) =>
  html`<fieldset id="expiration"><legend id="expiration_legend">Expiration</legend>${body}</fieldset>`;
/** A "Permissions" label of its own that names the picker's listbox. */
const permissionLabelled = (dropdown: (input: DropdownInput) => Html) => (input: DropdownInput) =>
  html`<div class="field"><span class="label" id="${input.labelledBy}">Permissions</span>${dropdown(input)}</div>`;

const SHAPES: Record<FormView["shape"], Shape> = {
  documented: {
    order: [nameField, descriptionField, bypassField, ipRanges, packagesSection, organizationsSection, expirationSection],
    part: fieldset,
    expiryPart: expirationFieldset,
    permission: permissionLabelled(detailsDropdown),
    expiry: (input) => detailsDropdown({ ...input, labelledBy: "expiration_legend" }),
    dateLabel: "Custom expiration date",
    packagePicker: filteredList,
    bypassLabel: "Bypass two-factor authentication (2FA)",
    descriptionLabel: "Description",
  },
  // Another plausible order: what the token is for and how long first, the optional parts last [I].
  variant: {
    order: [nameField, expirationSection, packagesSection, organizationsSection, ipRanges, bypassField, descriptionField],
    part: fieldset,
    expiryPart: expirationFieldset,
    permission: permissionLabelled(buttonListbox),
    expiry: (input) => buttonListbox({ ...input, labelledBy: "expiration_legend" }),
    dateLabel: "Custom expiration date",
    packagePicker: combobox,
    bypassLabel: "Bypass two-factor authentication (2FA)",
    descriptionLabel: "Description",
  },
  // No named group anywhere: each control carries its own label [I]. The bypass wording is one a
  // public note quotes ("Allow this token to bypass 2FA", docs/sites/npm.md "Granular token form").
  labelled: {
    order: [nameField, descriptionField, packagesSection, organizationsSection, expirationSection, bypassField, ipRanges],
    part: (id, title, body, nested) =>
      nested ? html`<div id="${id}"><p>${title}</p>${body}</div>` : html`<div id="${id}"><h2>${title}</h2>${body}</div>`,
    expiryPart: (body) => html`<div id="expiration">${body}</div>`,
    permission: nativeSelect,
    expiry: labelledCombobox,
    dateLabel: "Expiration date",
    packagePicker: combobox,
    bypassLabel: "Allow this token to bypass 2FA",
    descriptionLabel: "Description (optional)",
  },
};

// "New Granular Access Token" is inferred [I], after the classic form's "New Access Token" (docs/sites/npm.md, "Granular token form").
export function tokenFormPage(view: FormView): string {
  const shape = SHAPES[view.shape];
  return renderPage({
    title: "New Granular Access Token",
    signedIn: view.header,
    main: html`<h1>New Granular Access Token</h1>
<form id="gat" method="post" action="${view.action}">
  ${csrfField(view.csrf)}
  ${errorList(view.errors)}
  ${shape.order.map((section) => section(view, shape))}
  <section id="token_summary" aria-labelledby="summary_heading" data-now="${view.now.toISOString()}">
    <h2 id="summary_heading">Summary</h2>
    <p>This token will:</p>
    <ul id="summary_list"></ul>
  </section>
  <button type="submit" class="button--primary">Generate token</button>
  <a href="${view.cancel}">Cancel</a>
</form>`,
    scripts: [TOKEN_FORM_SCRIPT],
  });
}

/** "Add IP Range" adds a row from the template; extra rows have a "Remove" (docs/sites/npm.md, "Granular token form" step 4). */
function ipRanges({ state }: FormView): Html {
  const [first = "", ...rest] = state.cidr;
  return html`<div class="field"><label for="cidr_0">Allowed IP Ranges (optional)</label>
    <p class="hint" id="cidr_hint">Must be valid CIDR notation.</p>
    <div id="cidr_rows">
      <div class="cidr-row"><input id="cidr_0" name="cidr" type="text" aria-describedby="cidr_hint" placeholder="192.0.2.0/24" value="${first}"></div>
      ${rest.map(cidrRow)}
    </div>
    <template id="cidr_row">${cidrRow("")}</template>
    <button type="button" id="add_cidr">Add IP Range</button></div>`;
}

function cidrRow(value: string): Html {
  return html`<div class="cidr-row"><input name="cidr" type="text" aria-label="Allowed IP range" aria-describedby="cidr_hint" value="${value}">
    <button type="button" class="cidr-remove">Remove</button></div>`;
}

/**
 * A custom dropdown: the summary shows the choice; the options live in a <template> and the
 * script renders them only while the menu is open, so a closed menu's option texts are not on
 * the page twice [I]. `labelledBy` names the listbox, never the <details> (a second group named
 * like the section around it would make role locators ambiguous).
 */
function detailsDropdown(input: DropdownInput): Html {
  return html`<details class="dropdown" data-input="${input.name}">
    <summary role="button" aria-haspopup="listbox">${input.labels[input.value] ?? ""}</summary>
    ${optionTemplate(input.labels)}
    <ul role="listbox" aria-labelledby="${input.labelledBy}"></ul>
  </details>
  <input type="hidden" name="${input.name}" value="${input.value}">`;
}

/** A native <select>, labelled by a <label> of its own. */
function nativeSelect(input: DropdownInput): Html {
  return html`<div class="field"><label for="${input.labelledBy}">Permissions</label>
    <select id="${input.labelledBy}" name="${input.name}">${Object.entries(input.labels).map(
      ([value, text]) => html`<option value="${value}" ${when(value === input.value, "selected")}>${text}</option>`,
    )}</select></div>`;
}

/**
 * The labelled shape's expiry: a combobox button named by aria-labelledby, its listbox existing
 * only while open; nothing groups it.
 */
function labelledCombobox(input: DropdownInput): Html {
  return html`<div class="field"><span class="label" id="${input.labelledBy}">Expiration</span>
    <div class="dropdown" data-input="${input.name}">
      <button type="button" role="combobox" aria-haspopup="listbox" aria-expanded="false" aria-controls="${input.name}_options" aria-labelledby="${input.labelledBy}">${input.labels[input.value] ?? ""}</button>
      ${optionTemplate(input.labels)}
      <ul role="listbox" id="${input.name}_options" aria-labelledby="${input.labelledBy}" hidden></ul>
    </div>
    <input type="hidden" name="${input.name}" value="${input.value}"></div>`;
}

/** The variant's dropdown: a button that opens a listbox, whose options exist only while open. */
function buttonListbox(input: DropdownInput): Html {
  return html`<div class="dropdown" data-input="${input.name}">
    <button type="button" aria-haspopup="listbox" aria-expanded="false">${input.labels[input.value] ?? ""}</button>
    ${optionTemplate(input.labels)}
    <ul role="listbox" aria-labelledby="${input.labelledBy}" hidden></ul>
  </div>
  <input type="hidden" name="${input.name}" value="${input.value}">`;
}

function optionTemplate(labels: Record<string, string>): Html {
  return html`<template>${Object.entries(labels).map(([value, text]) => html`<li role="option" tabindex="-1" data-value="${value}">${text}</li>`)}</template>`;
}

function pickerOption({ name }: PickerItem, selected: boolean): Html {
  return html`<li role="option" tabindex="-1" data-name="${name}" aria-selected="${String(selected)}">${name}</li>`;
}

/** The documented shape: every option listed, a search box filters them. */
function filteredList(items: PickerItem[], chosen: (name: string) => boolean): Html {
  return html`<label for="package_filter">Select packages and scopes</label>
    <input id="package_filter" type="search" autocomplete="off" aria-controls="package_options" placeholder="Filter packages and scopes">
    <ul id="package_options" role="listbox" aria-label="Your packages and scopes" aria-multiselectable="true">
      ${items.map((item) => pickerOption(item, chosen(item.name)))}
    </ul>`;
}

/** The variant: a combobox; its listbox is empty until the box is opened (focus, click) or typed into. */
function combobox(items: PickerItem[], chosen: (name: string) => boolean): Html {
  return html`<label for="package_filter">Select packages and scopes</label>
    <input id="package_filter" type="text" role="combobox" autocomplete="off" aria-autocomplete="list" aria-expanded="false" aria-controls="package_options" placeholder="Search packages and scopes">
    <template id="package_option_items">${items.map((item) => pickerOption(item, chosen(item.name)))}</template>
    <ul id="package_options" role="listbox" aria-label="Your packages and scopes" aria-multiselectable="true" hidden></ul>`;
}

function packagesSection(view: FormView, shape: Shape): Html {
  const { state, account } = view;
  const items: PickerItem[] = [
    ...account.packages.map((name) => ({ name, kind: "package" as const })),
    ...account.scopes.map((name) => ({ name, kind: "scope" as const })),
  ];
  const chosen = (name: string) => state.packages.includes(name) || state.scopes.includes(name);
  return shape.part(
    "packages_and_scopes",
    "Packages and scopes",
    html`${shape.permission({ name: "packages_and_scopes_permission", value: state.packagesPermission, labels: PACKAGE_PERMISSION_LABELS, labelledBy: "packages_permission_label" })}
  ${shape.part(
    "select_packages",
    "Select packages",
    html`<div><input id="packages_all" name="packages_all" type="radio" value="true" aria-describedby="packages_all_hint" ${when(state.packagesAll === true, "checked")}>
      <label for="packages_all">All packages</label><p class="hint" id="packages_all_hint">Applies to current and future packages.</p></div>
    <div><input id="packages_selected" name="packages_all" type="radio" value="false" aria-describedby="packages_selected_hint" ${when(state.packagesAll === false, "checked")}>
      <label for="packages_selected">Only select packages and scopes</label><p class="hint" id="packages_selected_hint">Select at least one. Max 50.</p></div>`,
    true,
  )}
  <div id="package_picker" ${when(state.packagesAll !== false, "hidden")}>
    ${shape.packagePicker(items, chosen)}
    <p id="selected_count" aria-live="polite"></p>
    <ul id="selected_items" class="chips" aria-label="Selected packages and scopes">
      ${items.map(
        ({ name, kind }) => html`<li data-name="${name}" data-kind="${kind}" ${when(!chosen(name), "hidden")}>${name}
        <button type="button" aria-label="Remove ${name}">×</button><input type="hidden" name="${kind === "package" ? "packages" : "scopes"}" value="${name}" ${when(!chosen(name), "disabled")}></li>`,
      )}
    </ul>
  </div>`,
  );
}

/** Organization access covers org and team management only, not publishing (docs/sites/npm.md, "Granular token form" step 6). */
function organizationsSection(view: FormView, shape: Shape): Html {
  const { state, account } = view;
  const boxes = account.orgs.map(
    (org, i) =>
      html`<div><input id="org_${String(i)}" name="orgs" type="checkbox" value="${org}" ${when(state.orgs.includes(org), "checked")}><label for="org_${String(i)}">${org}</label></div>`,
  );
  return shape.part(
    "organizations",
    "Organizations",
    html`${shape.permission({ name: "orgs_permission", value: state.orgsPermission, labels: ORG_PERMISSION_LABELS, labelledBy: "orgs_permission_label" })}
  ${shape.part("select_organizations", "Select organizations", boxes.length > 0 ? html`${boxes}` : html`<p>You are not a member of any organization.</p>`, true)}`,
  );
}

function expirationSection({ state, now }: FormView, shape: Shape): Html {
  const tomorrow = new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
  return shape.expiryPart(
    html`${shape.expiry({ name: "expires", value: state.expires, labels: EXPIRATION_LABELS, labelledBy: "expiration_label" })}
  <div class="field" id="custom_expiration" ${when(state.expires !== "custom", "hidden")}>
    <label for="expiration_date">${shape.dateLabel}</label>
    <input id="expiration_date" name="expiration_date" type="date" min="${tomorrow}" value="${state.expirationDate}">
  </div>`,
  );
}
