// Each person's own editor preferences (key bindings, theme, font size), kept in this browser's
// localStorage: they are nobody else's business, so they never go through the room.
const KEY = "talentsync.editor-prefs";
export const KEYMAPS = ["default", "vim", "emacs"];
export const THEMES = ["auto", "light", "dark"];
export const FONT_SIZES = [12, 13, 14, 15, 16, 18, 20, 22, 24];
const DEFAULTS = { keymap: "default", theme: "auto", fontSize: 14 };

function stored() {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) || "{}");
    return value && typeof value === "object" ? value : {};
  } catch {
    return {}; // storage off (private mode, a policy) or a value from an older version
  }
}

/** The preferences, with anything unknown replaced by its default. */
export function loadPrefs() {
  const value = stored();
  return {
    keymap: KEYMAPS.includes(value.keymap) ? value.keymap : DEFAULTS.keymap,
    theme: THEMES.includes(value.theme) ? value.theme : DEFAULTS.theme,
    fontSize: FONT_SIZES.includes(value.fontSize) ? value.fontSize : DEFAULTS.fontSize,
  };
}

export function savePrefs(prefs) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // not stored: the choice still holds until the page closes
  }
}

const darkQuery = () => window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");

/** Whether a theme preference means dark right now ("auto" follows the system). */
export function isDark(theme) {
  if (theme === "dark") return true;
  if (theme === "light") return false;
  const query = darkQuery();
  return Boolean(query && query.matches);
}

/** Call `listener` when the system's colour scheme changes (what "auto" follows). */
export function onSystemThemeChange(listener) {
  const query = darkQuery();
  if (query) query.addEventListener("change", listener);
}
