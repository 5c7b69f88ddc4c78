// Code playback page (templates/interviews/playback.html): replays the code editor's update log
// on a timeline, each character in the colour of who typed it. Entry of static/dist/playback.js.
import { formatDuration, loadStrings, t } from "./i18n.js";
import { Replay } from "./replay.js";

/** someone counts as typing for this long (session time) after their last change */
const TYPING_WINDOW_MS = 2000;
/** characters typed this recently (session time) are highlighted */
const FRESH_MS = 1500;
const $ = (id) => document.getElementById(id);

/** Wall-clock times in the viewer's zone (the browser's own if it does not know that zone). */
function clockFormat(timeZone) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  const locale = document.documentElement.lang || undefined;
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(locale, options);
  }
}

class Player {
  /** @param {Replay} replay a replay that has finished its first pass (`scan`) */
  constructor(root, log, replay) {
    this.root = root;
    this.log = log;
    this.replay = replay;
    this.changes = this.replay.changes();
    // a run after the last keystroke shows at the end of the timeline
    this.runs = (log.runs || []).map((run) => ({ ...run, at: Math.min(run.at, replay.duration) }));
    this.now = 0;
    this.speed = 1; // the checked speed radio's, in bind()
    this.playing = false;
    this.frame = 0;
    this.lastTick = 0;
    this.rendered = "";
    this.start = Date.parse(log.start);
    this.clockFormat = clockFormat(log.timeZone);

    this.slider = $("playback-slider");
    this.playButton = $("playback-play");
    this.prevButton = $("playback-prev");
    this.nextButton = $("playback-next");
    this.clock = $("playback-clock");
    this.wall = $("playback-wall");
    this.changeCounter = $("playback-change");
    this.typing = $("playback-typing");
    this.code = $("playback-text");
    this.empty = $("playback-empty");

    this.slider.max = String(this.replay.duration);
    this.slider.disabled = this.replay.duration === 0;
    this.renderMarks($("playback-marks"));
    this.bind();
    this.seek(0);
  }

  authorName(author) {
    const person = author === null ? null : this.log.authors[author];
    return person ? t("name_role", { name: person.name, role: person.role }) : t("former_participant");
  }

  authorClass(author) {
    const person = author === null ? null : this.log.authors[author];
    return person ? `playback-a${person.colour}` : "playback-a-none";
  }

  bind() {
    this.slider.addEventListener("input", () => {
      this.pause();
      this.seek(Number(this.slider.value));
    });
    // The slider runs in milliseconds: give the keyboard steps a person can use.
    this.slider.addEventListener("keydown", (event) => {
      const steps = {
        ArrowLeft: -1000,
        ArrowDown: -1000,
        ArrowRight: 1000,
        ArrowUp: 1000,
        PageDown: -10000,
        PageUp: 10000,
      };
      let to = null;
      if (event.key in steps) to = this.now + steps[event.key];
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = this.replay.duration;
      if (to === null) return;
      event.preventDefault();
      this.pause();
      this.seek(to);
    });
    this.playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    this.prevButton.addEventListener("click", () => this.stepBack());
    this.nextButton.addEventListener("click", () => this.stepForward());
    for (const radio of this.root.querySelectorAll("input[name=playback-speed]")) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.speed = Number(radio.value) || 1;
      });
      if (radio.checked) this.speed = Number(radio.value) || 1;
    }
  }

  renderMarks(list) {
    const duration = this.replay.duration || 1;
    const at = (ms) => `${(100 * ms) / duration}%`;
    const runs = this.runs.map((run) => ({ kind: "run", ...run }));
    const marks = [...this.replay.marks(), ...runs].sort((a, b) => a.at - b.at);
    list.replaceChildren();
    for (const mark of marks) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const time = formatDuration(mark.at);
      let label;
      // positions go through the CSSOM: the markup carries no style attributes
      item.style.setProperty("--at", at(mark.at));
      if (mark.kind === "run") {
        label = mark.tests
          ? t("run_tests", { time, passed: mark.passed, total: mark.total })
          : t("run", { time, verdict: mark.verdict });
        item.className = "playback-mark playback-mark-run";
      } else if (mark.kind === "paste") {
        label = t("paste", { name: this.authorName(mark.author), time, n: mark.chars });
        item.className = "playback-mark playback-mark-paste";
      } else {
        label = t("idle", { duration: formatDuration(mark.until - mark.at), time });
        item.className = "playback-mark playback-mark-idle";
        item.style.setProperty("--width", at(mark.until - mark.at));
      }
      // a paste shows with its text; a pause from its start, with the code it paused on
      button.addEventListener("click", () => this.jump(mark.at));
      button.className = "playback-mark-button";
      button.setAttribute("aria-label", label);
      button.title = label;
      button.dataset.at = String(mark.at);
      item.append(button);
      list.append(item);
    }
    list.hidden = marks.length === 0;
    $("playback-no-marks").hidden = marks.length > 0;
  }

  jump(ms) {
    this.pause();
    this.seek(ms);
    this.slider.focus();
  }

  seek(ms) {
    this.now = Math.max(0, Math.min(this.replay.duration, Math.round(ms)));
    this.replay.seek(this.now);
    this.slider.value = String(this.now);
    this.slider.style.setProperty("--progress", `${(100 * this.now) / (this.replay.duration || 1)}%`);
    this.render();
    this.renderRun();
  }

  /** Under the code: the newest run made up to this instant, with its output. */
  renderRun() {
    const output = $("playback-run-output");
    if (!output) return;
    const runs = this.runs.filter((run) => run.at <= this.now);
    const run = runs[runs.length - 1];
    const summary = $("playback-run-summary");
    if (!run) {
      summary.textContent = t("no_run_yet");
      output.textContent = "";
      return;
    }
    const time = formatDuration(run.at);
    summary.textContent = run.tests
      ? `${t("run_tests", { time, passed: run.passed, total: run.total })} (${run.language})`
      : `${t("run", { time, verdict: run.verdict })} (${run.language})`;
    output.textContent = run.stdout + (run.stderr ? `\n${run.stderr}` : "");
  }

  /** The last applied update that changed the text, or -1. */
  lastChange() {
    let index = -1;
    for (const change of this.changes) {
      if (change >= this.replay.applied) break;
      index = change;
    }
    return index;
  }

  stepForward() {
    const next = this.changes.find((change) => change >= this.replay.applied);
    if (next === undefined) return;
    this.pause();
    this.seek(this.replay.times[next]);
  }

  stepBack() {
    const last = this.lastChange();
    if (last < 0) return;
    // the newest change made strictly before the last one shown: its instant hides the last one
    const before = this.changes.filter((change) => this.replay.times[change] < this.replay.times[last]).pop();
    if (before === undefined) return;
    this.pause();
    this.seek(this.replay.times[before]);
  }

  play() {
    if (this.now >= this.replay.duration) this.seek(0);
    this.playing = true;
    this.lastTick = performance.now();
    this.playButton.textContent = t("pause");
    this.playButton.dataset.playing = "true";
    const tick = (time) => {
      if (!this.playing) return;
      const elapsed = Math.max(0, time - this.lastTick);
      this.lastTick = time;
      this.seek(this.now + elapsed * this.speed);
      if (this.now >= this.replay.duration) this.pause();
      else this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.playButton.textContent = t("play");
    this.playButton.dataset.playing = "false";
  }

  render() {
    const replay = this.replay;
    const total = formatDuration(replay.duration);
    const position = t("position", { elapsed: formatDuration(this.now), total });
    this.clock.textContent = position;
    this.slider.setAttribute("aria-valuetext", position);
    this.wall.textContent = t("at_clock", { time: this.clockFormat.format(new Date(this.start + this.now)) });
    const shown = this.changes.filter((change) => change < replay.applied).length;
    this.changeCounter.textContent = t("change_of", { n: shown, total: this.changes.length });
    this.prevButton.disabled = shown < 2;
    this.nextButton.disabled = shown >= this.changes.length;

    const typing = replay.typingAt(this.now, TYPING_WINDOW_MS);
    this.typing.replaceChildren();
    if (typing.length === 0) {
      this.typing.textContent = t("nobody_typing");
    } else {
      const names = document.createElement("span");
      typing.forEach((author, i) => {
        if (i > 0) names.append(", ");
        const name = document.createElement("span");
        name.className = `playback-person ${this.authorClass(author)}`;
        name.textContent = this.authorName(author);
        names.append(name);
      });
      const [before, after] = t("typing", { names: "\u0000" }).split("\u0000");
      this.typing.append(before ?? "", names, after ?? "");
    }

    // Re-render the text only when it or its highlighted part changed.
    const freshSince = this.now - FRESH_MS;
    const firstFresh = replay.countAt(Math.ceil(freshSince) - 1);
    const key = `${replay.applied}:${firstFresh}`;
    if (key === this.rendered) return;
    this.rendered = key;
    const fragment = document.createDocumentFragment();
    for (const run of replay.runs({ freshSince })) {
      const span = document.createElement("span");
      span.className = this.authorClass(run.author) + (run.fresh ? " playback-fresh" : "");
      span.dataset.author = run.author === null ? "" : String(run.author);
      span.title = t("typed_by", { name: this.authorName(run.author) });
      span.textContent = run.text;
      fragment.append(span);
    }
    this.code.replaceChildren(fragment);
    this.empty.hidden = replay.text.length > 0;
    this.root.dataset.applied = String(replay.applied);
  }
}

async function start() {
  const root = $("playback");
  const logElement = $("playback-log");
  if (!root || !logElement) return;
  loadStrings($("playback-i18n"));
  const progress = $("playback-progress");
  try {
    const log = JSON.parse(logElement.textContent);
    const replay = new Replay(log.updates, { pasteChars: log.pasteChars, idleMs: log.idleMs });
    await replay.scan({
      onProgress: (done) => {
        progress.textContent = t("rebuilding", { percent: Math.floor(100 * done) });
      },
    });
    new Player(root, log, replay);
    progress.textContent = "";
    $("playback-controls").hidden = false;
    root.dataset.state = "ready";
  } catch (error) {
    progress.textContent = "";
    const problem = $("playback-error");
    problem.textContent = t("load_failed", { error: (error && error.message) || String(error) });
    problem.hidden = false;
    root.dataset.state = "failed";
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
