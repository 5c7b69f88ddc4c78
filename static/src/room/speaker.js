// Active speaker: an AnalyserNode per audio track, the loudest voice above a threshold wins.
// A new speaker must lead for two ticks in a row, so the highlight does not flicker.
//
// Each tick reads a window longer than the tick (so no sound between two ticks is missed) and
// takes the loudest short block in it: a plain RMS over the whole window would dilute a short
// word, and a window as short as a block would only see whatever happens at the tick.
const THRESHOLD = 0.015; // RMS of a block, about -36 dBFS
const TICK_MS = 200;
const WINDOW = 16384; // samples, about 340 ms at 48 kHz
const BLOCK = 1024; // samples, about 21 ms

export class SpeakerDetector {
  constructor(onChange) {
    this.onChange = onChange;
    this.sources = new Map();
    this.context = null;
    this.timer = null;
    this.active = null;
    this.candidate = null;
    this.streak = 0;
  }

  /** Call from a user gesture (the Join click), so the AudioContext may run. */
  start() {
    if (this.context) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    this.context = new Context();
    this.context.resume().catch(() => {});
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  add(id, track) {
    if (!this.context || !track) return;
    this.remove(id);
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.context.createAnalyser();
    analyser.fftSize = WINDOW;
    source.connect(analyser);
    this.sources.set(id, { source, analyser, data: new Float32Array(analyser.fftSize), level: 0 });
  }

  remove(id) {
    const entry = this.sources.get(id);
    if (entry) entry.source.disconnect();
    this.sources.delete(id);
    if (this.active === id) this.set(null);
  }

  tick() {
    let loudest = null;
    let loudestLevel = THRESHOLD;
    for (const [id, entry] of this.sources) {
      entry.analyser.getFloatTimeDomainData(entry.data);
      let loudestBlock = 0;
      for (let start = 0; start < entry.data.length; start += BLOCK) {
        let sum = 0;
        for (let i = start; i < start + BLOCK; i += 1) sum += entry.data[i] * entry.data[i];
        loudestBlock = Math.max(loudestBlock, Math.sqrt(sum / BLOCK));
      }
      entry.level = Math.max(loudestBlock, entry.level * 0.6); // quick to rise, slow to fall
      if (entry.level > loudestLevel) {
        loudest = id;
        loudestLevel = entry.level;
      }
    }
    if (loudest === this.active) {
      this.streak = 0;
      return;
    }
    this.streak = loudest === this.candidate ? this.streak + 1 : 1;
    this.candidate = loudest;
    if (this.streak >= 2) this.set(loudest);
  }

  set(id) {
    this.active = id;
    this.streak = 0;
    this.onChange(id);
  }

  stop() {
    clearInterval(this.timer);
    for (const entry of this.sources.values()) entry.source.disconnect();
    this.sources.clear();
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
  }
}
