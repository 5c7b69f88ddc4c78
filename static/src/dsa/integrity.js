// Integrity events the page notices (tab hidden, window blur, paste length, leaving full screen),
// sent in batches with the browser's timestamps; the server clamps them and notes when it got them.
import { postJson } from "./http.js";

const FLUSH_MS = 5000;
const MAX_BATCH = 100; // the server's limit per request

export class IntegrityReporter {
  constructor(url) {
    this.url = url;
    this.queue = [];
    this.timer = null;
    this.sending = null;
  }

  /** Queue one event: ``kind`` is an IntegrityEvent.Kind value; ``extra`` e.g. {length} for a paste. */
  record(kind, extra = {}) {
    if (this.queue.length >= 1000) return; // offline for long: keep memory bounded
    this.queue.push({ kind, at: new Date().toISOString(), ...extra });
    if (!this.timer) this.timer = window.setTimeout(() => this.flush(), FLUSH_MS);
  }

  async flush({ keepalive = false } = {}) {
    window.clearTimeout(this.timer);
    this.timer = null;
    if (this.sending) await this.sending;
    if (!this.queue.length) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.sending = postJson(this.url, { events: batch }, { keepalive })
      .then(({ response }) => {
        // retry later on a network error or a 5xx/429; anything else (400, 410) will not get better
        if (response.status >= 500 || response.status === 429) this.queue.unshift(...batch);
      })
      .catch(() => this.queue.unshift(...batch))
      .finally(() => {
        this.sending = null;
        if (this.queue.length && !this.timer) this.timer = window.setTimeout(() => this.flush(), FLUSH_MS);
      });
    await this.sending;
  }

  start() {
    document.addEventListener("visibilitychange", () => {
      this.record(document.visibilityState === "hidden" ? "tab_hidden" : "tab_visible");
      if (document.visibilityState === "hidden") this.flush({ keepalive: true });
    });
    window.addEventListener("blur", () => this.record("window_blur"));
    window.addEventListener("focus", () => this.record("window_focus"));
    document.addEventListener("fullscreenchange", () => {
      this.record(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit");
    });
    window.addEventListener("pagehide", () => this.flush({ keepalive: true }));
  }
}
