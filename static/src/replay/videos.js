// The replay's recordings kept on the timeline's clock. Each recording starts `at` ms into the
// session and lasts `durationMs`; at instant `now` its video shows (now - at) / 1000 s. While
// playing, the first playing video leads the clock (so its sound never stutters) and the others
// are corrected only when they drift by more than DRIFT_S. Every recording keeps playing while
// "one at a time" shows a single one, so both sides of the conversation are heard.
import { t } from "../playback/i18n.js";

const DRIFT_S = 0.3;

export class Videos {
  constructor(root, recordings, { onProblem = () => {} } = {}) {
    this.root = root;
    this.playing = false;
    this.rate = 1;
    this.items = recordings
      .map((recording) => {
        const video = document.getElementById(`replay-video-${recording.id}`);
        if (!video) return null;
        const figure = video.closest("figure");
        // the timeline drives the videos: their own controls would pull them out of step
        video.controls = false;
        video.addEventListener("error", () =>
          onProblem(t("video_failed", { error: video.error?.message || String(video.error?.code || "") })),
        );
        return { ...recording, video, figure, idle: figure.querySelector(".replay-video-idle") };
      })
      .filter(Boolean);
  }

  _length(item) {
    if (item.durationMs > 0) return item.durationMs;
    const seconds = item.video.duration;
    return Number.isFinite(seconds) ? seconds * 1000 : 0;
  }

  _inRange(item, now) {
    return now >= item.at && now < item.at + this._length(item);
  }

  _show(item, live) {
    item.idle.hidden = live;
    item.figure.dataset.live = String(live);
  }

  /** Put every video at instant `now` (paused, or playing on if the timeline plays). */
  seek(now) {
    for (const item of this.items) {
      const local = Math.max(0, Math.min(now - item.at, this._length(item))) / 1000;
      const live = this._inRange(item, now);
      this._show(item, live);
      if (Math.abs(item.video.currentTime - local) > 0.01) item.video.currentTime = local;
      if (!live || !this.playing) item.video.pause();
      else this._start(item);
    }
  }

  _start(item) {
    if (!item.video.paused) return;
    item.video.playbackRate = this.rate;
    const started = item.video.play();
    if (started && started.catch) started.catch(() => {});
  }

  play(now, rate) {
    this.playing = true;
    this.rate = rate;
    this.seek(now);
  }

  pause() {
    this.playing = false;
    for (const item of this.items) item.video.pause();
  }

  setRate(rate) {
    this.rate = rate;
    for (const item of this.items) item.video.playbackRate = rate;
  }

  /** While playing: the instant the leading video shows, or null when none plays. */
  lead(now) {
    for (const item of this.items) {
      const video = item.video;
      if (this._inRange(item, now) && !video.paused && !video.seeking && video.readyState >= 3) {
        return item.at + video.currentTime * 1000;
      }
    }
    return null;
  }

  /** While playing: start the videos that come in, stop those that end, pull back any that drift. */
  follow(now) {
    for (const item of this.items) {
      const live = this._inRange(item, now);
      this._show(item, live);
      if (!live) {
        if (!item.video.paused) item.video.pause();
        continue;
      }
      const local = (now - item.at) / 1000;
      if (item.video.paused) {
        item.video.currentTime = local;
        this._start(item);
      } else if (!item.video.seeking && Math.abs(item.video.currentTime - local) > DRIFT_S) {
        item.video.currentTime = local;
      }
    }
  }

  /** "grid" (side by side) or "one" (only the recording `focus`). */
  layout(mode, focus) {
    const host = document.getElementById("replay-videos");
    if (host) host.dataset.layout = mode;
    for (const item of this.items) item.figure.hidden = mode === "one" && String(item.id) !== String(focus);
  }

}
