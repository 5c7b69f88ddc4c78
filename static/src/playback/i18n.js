// The playback's user-facing strings: translated by Django (interviews.views.playback_strings)
// and handed over as a json_script dict, since the CSP allows no inline script. Placeholders
// are Python's %(name)s; "%%" is a literal "%".
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

/** "4:05" or "1:02:03": a span of milliseconds as a clock reads it. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
