// The whiteboard at any instant of the replay: its Yjs update log applied up to that instant,
// then drawn read-only with Excalidraw's own exportToSvg (the room's board keeps each element by
// id as plain JSON in Y.Map("elements") and images in Y.Map("files"), static/src/room/whiteboard.js).
// Excalidraw is imported on first use, into its own chunk, and only on pages with a whiteboard.
import * as Y from "yjs";
import { fontsFromOurOriginOnly } from "./fonts.js";

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The board's document after each prefix of its update log. */
export class BoardReplay {
  /** @param {Array<[number, string]>} updates `[ms on the replay's clock, base64]` in storage order */
  constructor(updates) {
    this.times = [];
    let last = 0;
    for (const [ms] of updates) {
      last = Math.max(last, Number(ms) || 0);
      this.times.push(last);
    }
    this.data = updates.map(([, data]) => decodeBase64(data));
    this._fresh();
  }

  _fresh() {
    this.doc = new Y.Doc();
    this.applied = 0;
  }

  /** How many updates were stored up to and including instant `ms`. */
  countAt(ms) {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.times[middle] <= ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  seek(ms) {
    const target = this.countAt(ms);
    if (target < this.applied) this._fresh(); // boards are small: replaying from the start is cheap
    while (this.applied < target) {
      Y.applyUpdate(this.doc, this.data[this.applied]);
      this.applied += 1;
    }
  }

  elements() {
    const copy = (value) => JSON.parse(JSON.stringify(value)); // Excalidraw mutates what it is given
    return [...this.doc.getMap("elements").values()].filter((e) => e && !e.isDeleted).map(copy);
  }

  files() {
    const files = {};
    for (const [id, file] of this.doc.getMap("files").entries()) if (file && file.dataURL) files[id] = { ...file };
    return files;
  }
}

/** Draws a BoardReplay into a host element; one drawing at a time, the newest request wins. */
export class BoardView {
  constructor(host, replay, { onDrawn = () => {}, onError = () => {} } = {}) {
    this.host = host;
    this.replay = replay;
    this.onDrawn = onDrawn;
    this.onError = onError;
    this.drawn = -1;
    this.busy = false;
    this.wanted = false;
    this.excalidraw = null;
  }

  async _library() {
    if (!this.excalidraw) {
      if (!window.EXCALIDRAW_ASSET_PATH && this.host.dataset.assets) {
        window.EXCALIDRAW_ASSET_PATH = new URL(this.host.dataset.assets, window.location.href).href;
      }
      fontsFromOurOriginOnly();
      this.excalidraw = await import("@excalidraw/excalidraw");
    }
    return this.excalidraw;
  }

  /** Draw the board as the replay now holds it (a no-op if that is what is shown). */
  async draw() {
    if (this.busy) {
      this.wanted = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.wanted = false;
        const applied = this.replay.applied;
        if (applied === this.drawn) continue;
        const elements = this.replay.elements();
        let svg = null;
        if (elements.length) {
          const { exportToSvg } = await this._library();
          svg = await exportToSvg({
            elements,
            files: this.replay.files(),
            // drawn as on the room's light board, on paper of the page's --replay-board colour
            appState: { exportBackground: false, exportWithDarkMode: false, viewBackgroundColor: "transparent" },
            exportPadding: 16,
            skipInliningFonts: true, // no font fetches: the page's own fonts draw the text
          });
          svg.setAttribute("aria-hidden", "true");
          svg.removeAttribute("width");
          svg.removeAttribute("height");
        }
        this.host.replaceChildren(...(svg ? [svg] : []));
        this.host.dataset.shapes = String(elements.length);
        this.drawn = applied;
        this.onDrawn(elements.length);
      } while (this.wanted);
    } catch (error) {
      this.onError(error);
    } finally {
      this.busy = false;
    }
  }
}
