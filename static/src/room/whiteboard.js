// The shared whiteboard: Excalidraw (React) on the room's `whiteboard` Yjs document
// (docs/editor-contract.md): Y.Map("elements") holds each element by id as plain JSON, and
// Y.Map("files") the images. Its own entry point (dist/whiteboard.js; its styles are
// dist/whiteboard.css, from whiteboard.css), imported only in rooms whose stage has the
// whiteboard, when the board is first shown.
//
// window.EXCALIDRAW_ASSET_PATH must be set before this module is evaluated (workspace.js does).
import { CaptureUpdateAction, Excalidraw, MainMenu, languages, reconcileElements } from "@excalidraw/excalidraw";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { openDoc } from "./docs.js";
import { t } from "./i18n.js";

const LOCAL = Symbol("whiteboard-local"); // the origin of our own Yjs transactions
const FLUSH_MS = 80; // local changes go out at most this often (drawing fires on every move)
const POINTER_MS = 100;
const MAX_FILE_CHARS = 600 * 1024; // an image must fit well inside the server's 1 MiB frame

/** Excalidraw's language for the page's <html lang>, English when it has none that fits. */
function langCode() {
  const lang = (document.documentElement.lang || "en").toLowerCase();
  const codes = languages.map((l) => l.code);
  return (
    codes.find((code) => code.toLowerCase() === lang) ||
    codes.find((code) => code.toLowerCase().split("-")[0] === lang.split("-")[0]) ||
    "en"
  );
}

const copy = (value) => JSON.parse(JSON.stringify(value)); // Excalidraw mutates its elements

/**
 * Excalidraw gives every font face two sources: ours (EXCALIDRAW_ASSET_PATH) and, as a fallback,
 * esm.sh. Chrome checks each source against the page's CSP when the face is created, so the
 * fallback alone would log (and report) a font-src violation per face and never be used anyway.
 * Keep only the sources on this origin. Installed once, before the board first renders.
 */
function keepFontsOnOurOrigin() {
  const Native = window.FontFace;
  if (!Native || Native.ourOriginOnly) return;
  const own = (source) => {
    const match = /^\s*url\(\s*["']?([^"')\s]+)/.exec(source);
    if (!match) return true; // local(...) or a data: URL
    try {
      const url = new URL(match[1], window.location.href);
      return url.protocol === "data:" || url.origin === window.location.origin;
    } catch {
      return false;
    }
  };
  class OurOriginFontFace extends Native {
    constructor(family, source, descriptors) {
      if (typeof source === "string") {
        const sources = source.split(/,(?=\s*(?:url|local)\()/);
        const kept = sources.filter(own);
        source = kept.length ? kept.join(",") : source;
      }
      super(family, source, descriptors);
    }
  }
  OurOriginFontFace.ourOriginOnly = true;
  window.FontFace = OurOriginFontFace;
}

class Board {
  constructor(host, { config, dark, say }) {
    this.host = host;
    this.config = config;
    this.dark = dark;
    this.say = say;
    this.api = null;
    this.initialized = false;
    this.initializing = false;
    this.sent = new Map(); // element id -> the version the document holds (sent or received)
    this.sentFiles = new Set();
    this.flushTimer = null;
    this.pointerTimer = null;
    this.pointer = null;
    this.lang = langCode();
    this.session = openDoc(config, "whiteboard", {
      onState: (state) => this.docState(state),
      onDenied: () => this.say(t("whiteboard_denied")),
    });
    this.elements = this.session.doc.getMap("elements");
    this.files = this.session.doc.getMap("files");
    this.elements.observe((event) => {
      if (event.transaction.origin === LOCAL || !this.initialized) return;
      this.applyRemote([...event.keysChanged].map((id) => this.elements.get(id)).filter(Boolean));
    });
    this.files.observe((event) => {
      if (event.transaction.origin === LOCAL || !this.initialized) return;
      this.addFiles([...event.keysChanged].map((id) => this.files.get(id)).filter(Boolean));
    });
    this.session.awareness.on("change", () => this.showCollaborators());
    keepFontsOnOurOrigin();
    this.root = createRoot(host);
    this.render();
  }

  render() {
    this.root.render(
      createElement(
        Excalidraw,
        {
          excalidrawAPI: (api) => this.ready(api),
          onChange: (elements, appState) => this.changed(elements, appState),
          onPointerUpdate: ({ pointer, button }) => this.pointerMoved(pointer, button),
          isCollaborating: true,
          theme: this.dark ? "dark" : "light",
          langCode: this.lang,
          name: t("whiteboard"),
          UIOptions: {
            // the board is the room's: nothing that replaces it wholesale or leaves through a file
            canvasActions: { loadScene: false, saveToActiveFile: false, clearCanvas: false, toggleTheme: false },
          },
        },
        createElement(
          MainMenu,
          null,
          createElement(MainMenu.DefaultItems.SaveAsImage),
          createElement(MainMenu.DefaultItems.ChangeCanvasBackground),
          createElement(MainMenu.DefaultItems.Help),
        ),
      ),
    );
  }

  ready(api) {
    if (api && !this.api) this.api = api;
  }

  /**
   * Excalidraw has set up its (empty) scene: only now may the document's elements go in, as
   * Excalidraw replaces whatever it was given before (a late joiner's first sync, typically).
   */
  initialize() {
    this.initialized = true;
    this.count(this.api.getSceneElementsIncludingDeleted());
    this.applyRemote([...this.elements.values()]);
    this.addFiles([...this.files.values()]);
    this.showCollaborators();
  }

  docState(state) {
    const says = {
      connecting: t("whiteboard_connecting"),
      disconnected: t("whiteboard_offline"),
      refused: t("whiteboard_refused"),
    };
    this.host.closest("[data-doc]")?.setAttribute("data-doc", state);
    const status = document.getElementById("whiteboard-status");
    if (!status) return;
    if (state === "connected" || state === "synced") status.textContent = "";
    else if (says[state]) status.textContent = says[state];
  }

  // --- ours → the document: only what changed since the document last had it ----------------
  changed(elements, appState) {
    if (!this.api || appState.isLoading) return;
    if (!this.initialized) {
      if (!this.initializing) queueMicrotask(() => this.initialize()); // not inside Excalidraw's update
      this.initializing = true;
      return;
    }
    this.count(elements);
    this.scheduleFlush();
  }

  /** How many shapes the board holds, on the host (for whoever cannot see the canvas, and tests). */
  count(elements) {
    const shapes = String(elements.filter((element) => !element.isDeleted).length);
    if (this.host.dataset.shapes !== shapes) this.host.dataset.shapes = shapes;
  }

  scheduleFlush() {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.initialized) return;
    const changed = this.api
      .getSceneElementsIncludingDeleted()
      .filter((element) => this.sent.get(element.id) !== element.version);
    const files = this.api.getFiles();
    const newFiles = Object.values(files).filter((file) => file && !this.sentFiles.has(file.id));
    if (!changed.length && !newFiles.length) return;
    this.session.doc.transact(() => {
      for (const element of changed) {
        this.elements.set(element.id, copy(element));
        this.sent.set(element.id, element.version);
      }
      for (const file of newFiles) {
        this.sentFiles.add(file.id);
        if (this.files.has(file.id)) continue;
        if (typeof file.dataURL !== "string" || file.dataURL.length > MAX_FILE_CHARS) {
          this.say(t("whiteboard_file_too_large"));
          continue;
        }
        this.files.set(file.id, { id: file.id, mimeType: file.mimeType, dataURL: file.dataURL, created: file.created });
      }
    }, LOCAL);
  }

  // --- the document → ours, merged by Excalidraw's own rules (version, then nonce) -----------
  applyRemote(remote) {
    if (!this.initialized || !remote.length) return;
    this.flush(); // our unsent edits first, or the merge below would mark them as sent
    const merged = reconcileElements(
      this.api.getSceneElementsIncludingDeleted(),
      remote.map(copy),
      this.api.getAppState(),
    );
    for (const element of merged) this.sent.set(element.id, element.version);
    // not in our undo history: undo takes back what we drew, not what the others did
    this.api.updateScene({ elements: merged, captureUpdate: CaptureUpdateAction.NEVER });
    this.count(merged);
  }

  addFiles(files) {
    const fresh = files.filter((file) => file && file.id && typeof file.dataURL === "string");
    for (const file of fresh) this.sentFiles.add(file.id);
    if (fresh.length && this.initialized) this.api.addFiles(fresh.map(copy));
  }

  // --- pointers: where the others are on the board ---------------------------------------------
  pointerMoved(pointer, button) {
    this.pointer = { x: pointer.x, y: pointer.y, tool: pointer.tool === "laser" ? "laser" : "pointer", button };
    if (this.pointerTimer) return;
    this.pointerTimer = setTimeout(() => {
      this.pointerTimer = null;
      this.session.awareness.setLocalStateField("pointer", this.pointer);
    }, POINTER_MS);
  }

  showCollaborators() {
    if (!this.initialized) return;
    const collaborators = new Map();
    const self = this.session.doc.clientID;
    for (const [clientId, state] of this.session.awareness.getStates()) {
      if (clientId === self || !state || !state.user || !state.pointer) continue;
      const { x, y, tool, button } = state.pointer;
      if (typeof x !== "number" || typeof y !== "number") continue;
      collaborators.set(String(clientId), {
        username: String(state.user.name || ""),
        color: { background: state.user.color, stroke: state.user.color },
        pointer: { x, y, tool: tool === "laser" ? "laser" : "pointer" },
        button: button === "down" ? "down" : "up",
        id: String(state.user.peerId || clientId),
      });
    }
    this.api.updateScene({ collaborators, captureUpdate: CaptureUpdateAction.NEVER });
  }

  setDark(dark) {
    if (dark === this.dark) return;
    this.dark = dark;
    this.render();
  }

  /** The panel became visible again: Excalidraw measures where its canvas is. */
  shown() {
    if (this.initialized) this.api.refresh();
  }

  destroy() {
    clearTimeout(this.flushTimer);
    clearTimeout(this.pointerTimer);
    this.flush();
    this.root.unmount();
    this.session.close();
  }
}

/** Mount the board in `host`; returns {setDark, shown, destroy}. */
export function mountWhiteboard(host, options) {
  return new Board(host, options);
}
