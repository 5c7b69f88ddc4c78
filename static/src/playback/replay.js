// Rebuilds the code editor's Yjs document at any instant of its update log, and remembers who
// typed each character. Yjs itself keeps no authors, so the replay watches the delta
// (retain / insert / delete) of Y.Text "source" as it applies each stored update in order, and
// keeps beside the text an array with, per character, the index of the update that inserted it
// (its author and time follow from that). Seeking backwards restarts from the nearest
// checkpoint (the encoded state plus a copy of that array) taken during the first pass.
import * as Y from "yjs";

export const SOURCE_TEXT = "source";
/** a checkpoint every so many updates: seeking back replays at most this many */
export const CHECKPOINT_EVERY = 200;
/** past this many characters, one insert is spliced by concatenation (splice's argument limit) */
const SPREAD_LIMIT = 10000;

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A mark on the timeline: a large paste (`at` the update's instant) or an idle gap (`at` the
 * last update before it, `until` the first after it).
 * @typedef {{kind: "paste"|"idle", at: number, until?: number, author?: number|null, chars?: number}} Mark
 */

export class Replay {
  /**
   * @param {Array<[number, number|null, string]>} updates `[ms since the first, author, base64]`
   * @param {{pasteChars: number, idleMs: number}} thresholds
   */
  constructor(updates, { pasteChars, idleMs }) {
    this.count = updates.length;
    // The log is in storage order; clocks are not guaranteed to agree with it, so keep times
    // non-decreasing to let an instant map to "the first n updates".
    this.times = [];
    let last = 0;
    for (const [ms] of updates) {
      last = Math.max(last, Number(ms) || 0);
      this.times.push(last);
    }
    this.authors = updates.map(([, author]) => (author === null || author === undefined ? null : author));
    this.data = updates.map(([, , data]) => decodeBase64(data));
    /** characters each update inserted, and whether it changed the text at all */
    this.inserted = new Array(this.count).fill(0);
    this.changed = new Array(this.count).fill(false);
    this.checkpoints = [];
    this.pasteChars = pasteChars;
    this.idleMs = idleMs;
    this._fresh();
    this._checkpoint();
  }

  get duration() {
    return this.count ? this.times[this.count - 1] : 0;
  }

  /** The text of the document after the first `applied` updates. */
  get text() {
    return this.ytext.toString();
  }

  _fresh() {
    this.doc = new Y.Doc();
    this.ytext = this.doc.getText(SOURCE_TEXT);
    /** per character of the text, the index of the update that inserted it */
    this.origin = [];
    this.applied = 0;
    this.quiet = false;
    this.ytext.observe((event) => {
      if (!this.quiet) this._follow(event.delta);
    });
  }

  _follow(delta) {
    const update = this.applied;
    let position = 0;
    let inserted = 0;
    for (const op of delta) {
      if (op.retain !== undefined) {
        position += op.retain;
      } else if (op.insert !== undefined) {
        const length = typeof op.insert === "string" ? op.insert.length : 1;
        const added = new Array(length).fill(update);
        if (length > SPREAD_LIMIT) {
          this.origin = this.origin.slice(0, position).concat(added, this.origin.slice(position));
        } else {
          this.origin.splice(position, 0, ...added);
        }
        position += length;
        inserted += length;
      } else if (op.delete !== undefined) {
        this.origin.splice(position, op.delete);
      }
    }
    this.inserted[update] = inserted;
    this.changed[update] = delta.length > 0;
  }

  _applyNext() {
    Y.applyUpdate(this.doc, this.data[this.applied]);
    this.applied += 1;
  }

  _checkpoint() {
    this.checkpoints.push({
      applied: this.applied,
      state: Y.encodeStateAsUpdate(this.doc),
      origin: Int32Array.from(this.origin),
    });
  }

  /**
   * The first pass over the whole log: learns what each update changed (for the marks and the
   * steps) and takes the checkpoints. Yjs computes a Y.Text delta by walking the whole text, so
   * a long session costs seconds: the pass yields to the page every `sliceMs` and reports its
   * progress (0…1). Seek only after it has finished.
   */
  async scan({ sliceMs = 40, onProgress = () => {} } = {}) {
    let sliceStart = performance.now();
    while (this.applied < this.count) {
      this._applyNext();
      if (this.applied % CHECKPOINT_EVERY === 0) this._checkpoint();
      if (performance.now() - sliceStart > sliceMs) {
        onProgress(this.applied / this.count);
        await new Promise((resolve) => setTimeout(resolve, 0));
        sliceStart = performance.now();
      }
    }
  }

  _restore(checkpoint) {
    this._fresh();
    this.quiet = true;
    try {
      Y.applyUpdate(this.doc, checkpoint.state);
    } finally {
      this.quiet = false;
    }
    this.origin = Array.from(checkpoint.origin);
    this.applied = checkpoint.applied;
  }

  /** Rebuild the document after its first `n` updates (0 … count). */
  seekTo(n) {
    const target = Math.max(0, Math.min(this.count, n));
    if (target === this.applied) return;
    if (target < this.applied || target - this.applied > CHECKPOINT_EVERY) {
      // the newest checkpoint strictly before the target, so at least one update is replayed
      let best = this.checkpoints[0];
      for (const checkpoint of this.checkpoints) {
        if (checkpoint.applied < target || (target === 0 && checkpoint.applied === 0)) best = checkpoint;
      }
      if (target < this.applied || best.applied > this.applied) this._restore(best);
    }
    while (this.applied < target) this._applyNext();
  }

  /** How many updates were stored up to and including instant `ms`. */
  countAt(ms) {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.times[middle] <= ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Rebuild the document as it was at instant `ms` (milliseconds since the first update). */
  seek(ms) {
    this.seekTo(this.countAt(ms));
  }

  /** The current text cut into runs of one author, fresh (typed since `freshSince`) or not: `{text, author, fresh}`. */
  runs({ freshSince = Infinity } = {}) {
    const text = this.text;
    const runs = [];
    let start = 0;
    while (start < text.length) {
      const author = this.authors[this.origin[start]];
      const fresh = this.times[this.origin[start]] >= freshSince;
      let end = start + 1;
      while (
        end < text.length &&
        this.authors[this.origin[end]] === author &&
        this.times[this.origin[end]] >= freshSince === fresh
      ) {
        end += 1;
      }
      runs.push({ text: text.slice(start, end), author, fresh });
      start = end;
    }
    return runs;
  }

  /** Indexes of the updates that changed the text. */
  changes() {
    const indexes = [];
    for (let i = 0; i < this.count; i += 1) if (this.changed[i]) indexes.push(i);
    return indexes;
  }

  /** Large pastes and idle gaps, in time order. @returns {Mark[]} */
  marks() {
    const marks = [];
    for (let i = 0; i < this.count; i += 1) {
      if (i > 0 && this.times[i] - this.times[i - 1] >= this.idleMs) {
        marks.push({ kind: "idle", at: this.times[i - 1], until: this.times[i] });
      }
      if (this.inserted[i] >= this.pasteChars) {
        marks.push({ kind: "paste", at: this.times[i], author: this.authors[i], chars: this.inserted[i] });
      }
    }
    return marks;
  }

  /** Authors of the changes made in the `windowMs` up to instant `ms`, most recent first. */
  typingAt(ms, windowMs) {
    const authors = [];
    for (let i = this.countAt(ms) - 1; i >= 0 && this.times[i] > ms - windowMs; i -= 1) {
      if (this.changed[i] && !authors.includes(this.authors[i])) authors.push(this.authors[i]);
    }
    return authors;
  }
}
