// The shared code editor (docs/editor-contract.md): CodeMirror 6 on Y.Text("source") of the
// room's `code` document, remote cursors and selections from Yjs awareness. The language and
// the lock are room state (EDITOR_STATE on the room socket); key bindings, theme and font size
// are each person's own (prefs.js). Loaded with import() only in rooms that have the editor.
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
} from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import {
  EditorView,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as Y from "yjs";
import { openDoc } from "./docs.js";
import { t } from "./i18n.js";
import { lightTheme } from "./code-theme.js";
import { keymapSupport, languageSupport } from "./languages.js";
import { FONT_SIZES, KEYMAPS, THEMES, isDark, loadPrefs, onSystemThemeChange, savePrefs } from "./prefs.js";

export const PASTE_GUESS_CHARS = 80; // a paste this long asks the server what language it is
const GUESS_MAX_CHARS = 8000; // enough to guess from, far below the room socket's frame limit
const FOCUS_SECONDS = 5 * 60;
const INDENT = { go: "\t", javascript: "  ", typescript: "  " }; // the others: four spaces

// y-codemirror.next shows a remote caret's name only on hover: show it always, in our font,
// and leave room above the first line for it.
const remoteCursorTheme = EditorView.theme({
  ".cm-ySelectionInfo": { opacity: 1, fontFamily: "inherit", fontSize: "0.75em", borderRadius: "3px 3px 3px 0" },
  ".cm-ySelectionCaretDot": { display: "none" },
  ".cm-content": { paddingTop: "1.4em" },
});

/**
 * The awareness as y-codemirror.next sees it, but able to keep our cursor to ourselves
 * ("Focus time"): while hidden, the plugin's cursor writes are dropped.
 */
class CursorGate {
  constructor(awareness) {
    this.awareness = awareness;
    this.doc = awareness.doc;
    this.hidden = false;
  }

  on(name, listener) {
    this.awareness.on(name, listener);
  }

  off(name, listener) {
    this.awareness.off(name, listener);
  }

  getStates() {
    return this.awareness.getStates();
  }

  getLocalState() {
    return this.awareness.getLocalState();
  }

  setLocalStateField(field, value) {
    if (field === "cursor" && this.hidden) return;
    this.awareness.setLocalStateField(field, value);
  }

  hide(hidden) {
    this.hidden = hidden;
    if (hidden) this.awareness.setLocalStateField("cursor", null);
  }
}

function formatSeconds(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export class EditorPanel {
  /**
   * @param {HTMLElement} root the #editor-panel section
   * @param {object} options
   * @param {object} options.config the page's room-config
   * @param {{language: string, locked: boolean, runEnabled: boolean}} options.state
   * @param {(type: string, payload: object) => boolean} options.send on the room socket
   * @param {(text: string) => void} options.say the room's status line
   */
  constructor(root, { config, state, send, say }) {
    this.root = root;
    this.config = config;
    this.send = send;
    this.say = say;
    this.state = { ...state };
    this.interactive = false;
    this.mayLead = Boolean(config.mayLead);
    this.watchOnly = Boolean(config.observer) && !this.mayLead;
    this.prefs = loadPrefs();
    this.wantedLanguage = null;
    this.wantedKeymap = null;
    this.session = null;
    this.gate = null;
    this.focusTimer = null;
    this.focusLeft = 0;
    this.guess = null;
    this.compartments = {
      keymap: new Compartment(),
      collab: new Compartment(),
      language: new Compartment(),
      theme: new Compartment(),
      font: new Compartment(),
      readOnly: new Compartment(),
    };
    this.$ = (id) => root.querySelector(`#${id}`);
  }

  /** Create the editor, bound to a fresh `code` document. */
  start() {
    const host = this.$("editor-host");
    host.replaceChildren();
    const c = this.compartments;
    this.view = new EditorView({
      parent: host,
      state: EditorState.create({
        extensions: [
          c.keymap.of([]), // Vim/Emacs go first, ahead of every other key binding
          c.collab.of([]),
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          foldGutter(),
          drawSelection(),
          dropCursor(),
          EditorState.allowMultipleSelections.of(true),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          keymap.of([
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...searchKeymap,
            ...foldKeymap,
            ...yUndoManagerKeymap,
            indentWithTab, // Esc then Tab still leaves the editor (said under it)
          ]),
          c.language.of([]),
          c.theme.of(this.themeExtension()),
          c.font.of(this.fontExtension()),
          c.readOnly.of(this.readOnlyExtension()),
          remoteCursorTheme,
          EditorView.contentAttributes.of({ "aria-label": t("code_editor") }),
          EditorView.updateListener.of((update) => this.watchPastes(update)),
        ],
      }),
    });
    this.connect();
    this.setUpControls();
    this.applyState(this.state);
    this.applyKeymap();
    this.root.dataset.theme = this.dark() ? "dark" : "light";
    onSystemThemeChange(() => this.applyTheme());
  }

  // --- the document --------------------------------------------------------------------------
  connect() {
    this.session = openDoc(this.config, "code", {
      onState: (state) => this.docState(state),
      onDenied: () => this.denied(),
    });
    this.gate = new CursorGate(this.session.awareness);
    if (this.focusLeft > 0) this.gate.hide(true);
    const text = this.session.doc.getText("source");
    // bound while both are empty: the sync brings the text into the editor, nothing goes back
    this.view.dispatch({
      effects: this.compartments.collab.reconfigure(
        yCollab(text, this.gate, { undoManager: new Y.UndoManager(text) }),
      ),
    });
  }

  docState(state) {
    const status = this.$("editor-status");
    const says = {
      connecting: t("editor_connecting"),
      disconnected: t("editor_offline"),
      refused: t("editor_refused"),
    };
    this.root.dataset.doc = state;
    if (state === "connected" || state === "synced") status.textContent = "";
    else if (says[state]) status.textContent = says[state];
  }

  /**
   * The server refused an update of ours (the editor was locked as we typed): our copy now holds
   * text nobody else has. Start again from the server's document rather than keep it, or it
   * would slip in with the next sync once the editor is unlocked.
   */
  denied() {
    if (this.rebinding) return;
    this.rebinding = true;
    queueMicrotask(() => {
      this.rebinding = false;
      this.view.dispatch({
        effects: this.compartments.collab.reconfigure([]),
        changes: { from: 0, to: this.view.state.doc.length, insert: "" },
      });
      this.session.close();
      this.connect();
      this.docState("connecting");
      this.$("editor-status").textContent = t("editor_denied");
    });
  }

  // --- room state: language and lock ----------------------------------------------------------
  /** EDITOR_STATE from the room socket (or the page's room-config at first). */
  applyState(state) {
    const languageChanged = state.language !== this.wantedLanguage;
    this.state = { ...this.state, ...state };
    if (languageChanged) this.applyLanguage(this.state.language);
    const select = this.$("editor-language");
    if (select && this.state.language) select.value = this.state.language;
    const lock = this.$("editor-lock");
    if (lock) lock.setAttribute("aria-pressed", this.state.locked ? "true" : "false");
    this.view.dispatch({ effects: this.compartments.readOnly.reconfigure(this.readOnlyExtension()) });
    const note = this.$("editor-lock-note");
    note.hidden = !this.state.locked;
    note.textContent = this.state.locked ? t(this.mayLead ? "editor_locked_lead" : "editor_locked") : "";
    this.root.dataset.locked = this.state.locked ? "true" : "false";
    if (this.guess && this.guess === this.state.language) this.hideGuess();
    this.syncControls();
  }

  readOnly() {
    return this.watchOnly || (Boolean(this.state.locked) && !this.mayLead);
  }

  readOnlyExtension() {
    // read-only but still focusable: a keyboard user can move through the code and copy it
    return this.readOnly()
      ? [EditorState.readOnly.of(true), EditorView.contentAttributes.of({ "aria-readonly": "true" })]
      : [];
  }

  async applyLanguage(name) {
    this.wantedLanguage = name;
    let support = [];
    try {
      support = await languageSupport(name);
    } catch (error) {
      this.say(t("editor_load_failed", { error: String(error && error.message ? error.message : error) }));
    }
    if (this.wantedLanguage !== name) return; // another language was chosen meanwhile
    this.view.dispatch({
      effects: this.compartments.language.reconfigure([support, indentUnit.of(INDENT[name] || "    ")]),
    });
    this.root.dataset.language = name;
  }

  /** The room socket is (not) joined: what needs it waits. */
  setInteractive(on) {
    this.interactive = on;
    this.syncControls();
  }

  syncControls() {
    const select = this.$("editor-language");
    if (select) select.disabled = !this.interactive || this.readOnly();
    const lock = this.$("editor-lock");
    if (lock) lock.disabled = !this.interactive;
  }

  // --- pastes and language guesses --------------------------------------------------------------
  watchPastes(update) {
    if (this.readOnly()) return;
    let pasted = "";
    for (const transaction of update.transactions) {
      if (!transaction.isUserEvent("input.paste")) continue;
      transaction.changes.iterChanges((_fromA, _toA, _fromB, _toB, inserted) => {
        pasted += inserted.toString();
      });
    }
    if (pasted.trim().length >= PASTE_GUESS_CHARS) {
      this.send("GUESS_LANGUAGE", { code: pasted.slice(0, GUESS_MAX_CHARS) });
    }
  }

  /** LANGUAGE_GUESS: offer the switch, never make it. */
  languageGuess({ language }) {
    const known = this.config.languages.find((l) => l.value === language);
    if (!known || language === this.state.language || this.readOnly()) {
      this.hideGuess();
      return;
    }
    this.guess = language;
    this.$("language-guess-text").textContent = t("language_guess", { language: known.label });
    this.$("language-guess-switch").textContent = t("switch_to", { language: known.label });
    this.$("language-guess").hidden = false;
  }

  hideGuess() {
    this.guess = null;
    this.$("language-guess").hidden = true;
  }

  // --- focus time: our cursor hidden from the others ------------------------------------------
  startFocus() {
    this.focusLeft = FOCUS_SECONDS;
    this.gate.hide(true);
    this.showFocus();
    clearInterval(this.focusTimer);
    this.focusTimer = setInterval(() => {
      this.focusLeft -= 1;
      if (this.focusLeft <= 0) this.stopFocus();
      else this.showFocus();
    }, 1000);
    this.$("focus-cancel").focus();
  }

  stopFocus() {
    clearInterval(this.focusTimer);
    this.focusTimer = null;
    this.focusLeft = 0;
    if (this.gate) this.gate.hide(false);
    if (this.view) this.view.dispatch({}); // the cursor plugin publishes our cursor again
    const button = this.$("focus-button");
    if (!button) return;
    const cancelHadFocus = document.activeElement === this.$("focus-cancel");
    this.$("focus-state").hidden = true;
    button.hidden = false;
    if (cancelHadFocus) button.focus(); // the focused control is going away: keep the place
  }

  showFocus() {
    this.$("focus-button").hidden = true;
    this.$("focus-state").hidden = false;
    this.$("focus-countdown").textContent = t("focus_left", { time: formatSeconds(this.focusLeft) });
  }

  // --- controls ---------------------------------------------------------------------------------
  setUpControls() {
    const select = this.$("editor-language");
    select.addEventListener("change", () => {
      const language = select.value;
      // applied when the server sends EDITOR_STATE back to everyone, us included
      if (!this.send("EDITOR_STATE", { language })) select.value = this.state.language;
    });
    this.$("language-guess-switch").addEventListener("click", () => {
      if (this.guess) this.send("EDITOR_STATE", { language: this.guess });
      this.hideGuess();
      this.view.focus();
    });
    this.$("language-guess-dismiss").addEventListener("click", () => {
      this.hideGuess();
      this.view.focus();
    });
    const lock = this.$("editor-lock");
    if (lock) lock.addEventListener("click", () => this.send("EDITOR_STATE", { locked: !this.state.locked }));
    const focus = this.$("focus-button");
    if (focus) {
      focus.addEventListener("click", () => this.startFocus());
      this.$("focus-cancel").addEventListener("click", () => this.stopFocus());
    }
    this.setUpPrefs();
  }

  setUpPrefs() {
    const fields = {
      keymap: [this.$("editor-keymap"), KEYMAPS, String],
      theme: [this.$("editor-theme"), THEMES, String],
      fontSize: [this.$("editor-font-size"), FONT_SIZES, Number],
    };
    for (const [name, [field, allowed, parse]] of Object.entries(fields)) {
      field.value = String(this.prefs[name]);
      field.addEventListener("change", () => {
        const value = parse(field.value);
        if (!allowed.includes(value)) return;
        this.prefs = { ...this.prefs, [name]: value };
        savePrefs(this.prefs);
        if (name === "keymap") this.applyKeymap();
        else if (name === "theme") this.applyTheme();
        else this.view.dispatch({ effects: this.compartments.font.reconfigure(this.fontExtension()) });
      });
    }
    const settings = this.root.querySelector(".editor-settings");
    // a disclosure over the editor: Escape or a click elsewhere closes it
    settings.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !settings.open) return;
      event.stopPropagation(); // Vim's Escape is not for this one
      settings.open = false;
      settings.querySelector("summary").focus();
    });
    document.addEventListener("click", (event) => {
      if (settings.open && !settings.contains(event.target)) settings.open = false;
    });
  }

  async applyKeymap() {
    const name = this.prefs.keymap;
    this.wantedKeymap = name;
    let extension = [];
    try {
      extension = await keymapSupport(name);
    } catch (error) {
      this.say(t("editor_load_failed", { error: String(error && error.message ? error.message : error) }));
    }
    if (this.wantedKeymap !== name) return;
    this.view.dispatch({ effects: this.compartments.keymap.reconfigure(extension) });
    this.root.dataset.keymap = name;
  }

  dark() {
    return isDark(this.prefs.theme);
  }

  themeExtension() {
    return this.dark() ? oneDark : lightTheme;
  }

  applyTheme() {
    this.view.dispatch({ effects: this.compartments.theme.reconfigure(this.themeExtension()) });
    this.root.dataset.theme = this.dark() ? "dark" : "light";
    this.root.dispatchEvent(new CustomEvent("themechange", { bubbles: true, detail: { dark: this.dark() } }));
  }

  fontExtension() {
    return EditorView.theme({ "&": { fontSize: `${this.prefs.fontSize}px` } });
  }

  destroy() {
    clearInterval(this.focusTimer);
    if (this.session) this.session.close();
    this.session = null;
    if (this.view) this.view.destroy();
  }
}
