// The room's user-facing strings: translated by Django and handed over as a json_script dict
// (CSP allows no inline script). Placeholders use Python's %(name)s, "%%" is a literal "%".
let strings = {};

export function loadStrings(element) {
  strings = element ? JSON.parse(element.textContent) : {};
}

export function t(key, params = {}) {
  const template = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  return template.replace(/%\((\w+)\)s|%%/g, (match, name) =>
    name === undefined ? "%" : String(params[name] ?? ""),
  );
}

/**
 * Add the strings a panel carries as `data-t-<key>` attributes (translated in the template),
 * e.g. data-t-editor-locked="…" becomes t("editor_locked").
 */
export function addStrings(element) {
  if (!element) return;
  for (const { name, value } of element.attributes) {
    if (name.startsWith("data-t-")) strings[name.slice(7).replace(/-/g, "_")] = value;
  }
}
