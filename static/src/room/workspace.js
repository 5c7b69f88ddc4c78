// The room's tools beside the call: the code editor and the whiteboard, as tabs when both are
// on. This part is small and in room.js; the editor (CodeMirror, Yjs) and the whiteboard
// (Excalidraw, React) are fetched with import() once they are needed, and only in rooms whose
// stage has them (their panels are in the page only then).
import { addStrings, t } from "./i18n.js";
import { isDark, loadPrefs, onSystemThemeChange } from "./prefs.js";
import { RunPanel } from "./runner.js";

// ERROR codes that answer a RUN_CODE or RUN_TESTS: the Run panel shows them and re-arms
const RUN_ERRORS = new Set(["run_busy", "run_disabled", "rate_limited", "code_too_large", "no_problem", "bad_frame", "forbidden", "tool_off", "server_error"]);

function errorText(error) {
  return (error && (error.message || error.name)) || String(error);
}

function loadStylesheet(href) {
  return new Promise((resolve, reject) => {
    const existing = document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`);
    if (existing) {
      resolve();
      return;
    }
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.addEventListener("load", () => resolve(), { once: true });
    link.addEventListener("error", () => reject(new Error(href)), { once: true });
    document.head.append(link);
  });
}

export class Workspace {
  /**
   * @param {HTMLElement} root the #workspace element
   * @param {object} options
   * @param {object} options.config the page's room-config
   * @param {(type: string, payload: object) => boolean} options.send on the room socket
   * @param {(text: string) => void} options.say the room's status line
   * @param {(peerId: string) => string} options.nameOf a participant's name
   */
  constructor(root, { config, send, say, nameOf }) {
    this.root = root;
    this.config = config;
    this.send = send;
    this.say = say;
    const editor = config.editor || {};
    this.state = { language: editor.language || "python", locked: editor.locked === true, runEnabled: editor.runEnabled === true };
    this.panels = {
      editor: root.querySelector("#editor-panel"),
      whiteboard: root.querySelector("#whiteboard-panel"),
    };
    for (const panel of Object.values(this.panels)) addStrings(panel);
    this.tabs = [...root.querySelectorAll('[role="tab"]')];
    this.editor = null;
    this.board = null;
    this.boardLoading = null;
    this.started = false;
    this.stopped = false;
    this.interactive = false;
    const runRoot = root.querySelector("#run-panel");
    this.runner = runRoot
      ? new RunPanel(runRoot, {
          config,
          send,
          nameOf: nameOf || (() => ""),
          source: () => ({
            code: this.editor && this.editor.view ? this.editor.view.state.doc.toString() : "",
            language: this.state.language,
          }),
        })
      : null;
    if (this.runner) this.runner.applyState(this.state);
    this.setUpTabs();
    root.addEventListener("themechange", () => this.themeChanged());
    onSystemThemeChange(() => this.themeChanged());
  }

  // --- tabs (WAI-ARIA tabs: arrows move between them, Tab goes into the panel) -----------------
  setUpTabs() {
    this.tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => this.select(tab));
      tab.addEventListener("keydown", (event) => {
        const last = this.tabs.length - 1;
        const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: last }[event.key];
        if (to === undefined) return;
        event.preventDefault();
        const next = this.tabs[(to + this.tabs.length) % this.tabs.length];
        this.select(next);
        next.focus();
      });
    });
  }

  select(tab) {
    for (const other of this.tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (this.started) this.showBoardIfVisible();
  }

  visible(name) {
    const panel = this.panels[name];
    return Boolean(panel) && !panel.hidden;
  }

  // --- starting the tools ---------------------------------------------------------------------
  /** We are in the room (ROOM_PEERS): open what is on the page. Later calls do nothing. */
  joined() {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.panels.editor) this.loadEditor();
    this.showBoardIfVisible();
  }

  async loadEditor() {
    const panel = this.panels.editor;
    try {
      const { EditorPanel } = await import("./editor.js");
      if (this.stopped) return;
      this.editor = new EditorPanel(panel, { config: this.config, state: this.state, send: this.send, say: this.say });
      this.editor.start();
      this.editor.setInteractive(this.interactive);
      panel.dataset.ready = "true";
    } catch (error) {
      panel.querySelector("#editor-host").textContent = t("editor_load_failed", { error: errorText(error) });
    }
  }

  showBoardIfVisible() {
    if (!this.visible("whiteboard")) return;
    if (this.board) this.board.shown();
    else this.loadBoard();
  }

  loadBoard() {
    if (this.boardLoading) return this.boardLoading;
    const panel = this.panels.whiteboard;
    const host = panel.querySelector("#whiteboard-host");
    this.boardLoading = (async () => {
      try {
        // Excalidraw fetches its fonts from here (our static files), never from a CDN
        window.EXCALIDRAW_ASSET_PATH = new URL(panel.dataset.assets, window.location.href).href;
        await loadStylesheet(panel.dataset.css);
        const { mountWhiteboard } = await import("./whiteboard.js");
        if (this.stopped) return;
        host.replaceChildren();
        this.board = mountWhiteboard(host, { config: this.config, dark: this.dark(), say: this.say });
        panel.dataset.ready = "true";
      } catch (error) {
        this.boardLoading = null; // selecting the tab again tries again
        host.textContent = t("whiteboard_load_failed", { error: errorText(error) });
      }
    })();
    return this.boardLoading;
  }

  dark() {
    return isDark(loadPrefs().theme);
  }

  themeChanged() {
    if (this.board) this.board.setDark(this.dark());
  }

  // --- the room socket ------------------------------------------------------------------------
  /** EDITOR_STATE {language, locked, runEnabled, fromId}: the room's editor settings. */
  editorState(payload) {
    const languages = (this.config.languages || []).map((l) => l.value);
    const next = {};
    if (languages.includes(payload.language)) next.language = payload.language;
    if (typeof payload.locked === "boolean") next.locked = payload.locked;
    if (typeof payload.runEnabled === "boolean") next.runEnabled = payload.runEnabled;
    this.state = { ...this.state, ...next };
    if (this.editor) this.editor.applyState(this.state);
    if (this.runner) this.runner.applyState(this.state);
  }

  /** RUN_STARTED, RUN_OUTPUT, RUN_FINISHED, RUN_TESTS_RESULT, RUN_HISTORY: the Run panel's. */
  runEvent(type, payload) {
    if (!this.runner || !payload || typeof payload !== "object") return;
    if (type === "RUN_STARTED") this.runner.started(payload);
    else if (type === "RUN_OUTPUT") this.runner.output(payload);
    else if (type === "RUN_FINISHED") this.runner.finished(payload);
    else if (type === "RUN_TESTS_RESULT") this.runner.testsResult(payload);
    else if (type === "RUN_HISTORY") this.runner.history(payload);
  }

  runRefused(code, message) {
    if (this.runner && RUN_ERRORS.has(code)) this.runner.refused(message);
  }

  /** LANGUAGE_GUESS {language}: the answer to our GUESS_LANGUAGE. */
  languageGuess(payload) {
    if (this.editor && (payload.language === null || typeof payload.language === "string")) {
      this.editor.languageGuess(payload);
    }
  }

  setInteractive(on) {
    this.interactive = on;
    if (this.editor) this.editor.setInteractive(on);
    if (this.runner) this.runner.setInteractive(on);
  }

  /** Out of the room: close the documents' sockets. */
  destroy() {
    this.stopped = true;
    if (this.editor) this.editor.destroy();
    if (this.board) this.board.destroy();
    this.editor = null;
    this.board = null;
  }
}
