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
