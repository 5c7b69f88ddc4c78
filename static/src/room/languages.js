// The editor's language modes, each fetched (a chunk of its own) the first time it is chosen.
// Keys are room-config.languages[].value.
const loaders = {
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: () => import("@codemirror/lang-javascript").then((m) => m.javascript()),
  typescript: () => import("@codemirror/lang-javascript").then((m) => m.javascript({ typescript: true })),
  java: () => import("@codemirror/lang-java").then((m) => m.java()),
  c: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  "c++": () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  go: () => import("@codemirror/lang-go").then((m) => m.go()),
  rust: () => import("@codemirror/lang-rust").then((m) => m.rust()),
};
const loaded = new Map();

/** The CodeMirror extension for a language (syntax, indentation, brackets); [] if unknown. */
export function languageSupport(name) {
  if (!Object.prototype.hasOwnProperty.call(loaders, name)) return Promise.resolve([]);
  if (!loaded.has(name)) {
    const promise = loaders[name]().catch((error) => {
      loaded.delete(name); // a failed fetch (network) may be tried again later
      throw error;
    });
    loaded.set(name, promise);
  }
  return loaded.get(name);
}

/** The key bindings other than CodeMirror's own, fetched when chosen. */
export function keymapSupport(name) {
  if (name === "vim") return import("@replit/codemirror-vim").then((m) => m.vim());
  if (name === "emacs") return import("@replit/codemirror-emacs").then((m) => m.emacs());
  return Promise.resolve([]);
}
