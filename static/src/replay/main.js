// The replay page (templates/recordings/replay.html): the whole interview on one timeline.
// Entry of static/dist/replay.js. The server renders every list (transcript, chat, runs,
// integrity events, AI claims) with the instant of each line in `data-at` (ms from the session
// start); this script adds the clock: a slider with marks, play at 1–2×, the recordings kept in
// step (videos.js), the code at that instant (the code playback's Replay, fed the same log) and
// the whiteboard at that instant (board.js).
import { formatDuration, loadStrings, t } from "../playback/i18n.js";
import { Replay } from "../playback/replay.js";
import { BoardReplay, BoardView } from "./board.js";
import { Videos } from "./videos.js";

const $ = (id) => document.getElementById(id);
const KEY_STEPS = { ArrowLeft: -1000, ArrowDown: -1000, ArrowRight: 1000, ArrowUp: 1000, PageDown: -10000, PageUp: 10000 };

function clockFormat(timeZone) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  const locale = document.documentElement.lang || undefined;
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(locale, options);
  }
}

class ReplayPage {
  constructor(root, data, code) {
    this.root = root;
    this.data = data;
    this.duration = data.durationMs;
    this.start = Date.parse(data.start);
    this.wallFormat = clockFormat(data.timeZone);
    this.now = 0;
    this.speed = 1;
    this.playing = false;
    this.frame = 0;
    this.lastTick = 0;
    this.code = code; // a scanned Replay, or null
    this.codeKey = "";
    this.runs = data.runs || [];

    this.slider = $("replay-slider");
    this.playButton = $("replay-play");
    this.clock = $("replay-clock");
    this.wall = $("replay-wall");
    this.segments = [...document.querySelectorAll("#replay-transcript .replay-segment")].map((item) => ({
      item,
      at: Number(item.dataset.at),
      end: Number(item.dataset.end),
      text: item.querySelector(".replay-segment-text"),
      plain: item.querySelector(".replay-segment-text").textContent,
    }));
    this.timed = [...document.querySelectorAll("#replay-chat .replay-item, #replay-runs .replay-item, #replay-integrity .replay-item")];

    this.videos = new Videos(root, data.recordings || [], { onProblem: (text) => this.problem(text) });
    this.board = null;
    const boardHost = $("replay-whiteboard");
    if (data.whiteboard && boardHost) {
      boardHost.dataset.assets = root.dataset.assets || "";
      this.board = new BoardView(boardHost, new BoardReplay(data.whiteboard.updates), {
        onDrawn: (n) => {
          $("replay-whiteboard-status").textContent = n ? t("whiteboard_shapes", { n }) : t("whiteboard_empty");
        },
        onError: (error) => {
          $("replay-whiteboard-status").textContent = t("whiteboard_failed", { error: error?.message || String(error) });
        },
      });
    }

    this.slider.max = String(this.duration);
    // the parts that only make sense with this script running
    for (const id of ["replay-timeline", "replay-whiteboard", "replay-run"]) {
      const element = $(id);
      if (element) element.hidden = false;
    }
    this.placeMarks();
    this.bind();
    this.seek(0);
  }

  problem(text) {
    const box = $("replay-error");
    box.textContent = text;
    box.hidden = false;
  }

  placeMarks() {
    const span = this.duration || 1;
    for (const item of document.querySelectorAll("#replay-marks .replay-mark")) {
      // positions go through the CSSOM: the markup carries no style attributes
      item.style.setProperty("--at", `${(100 * Math.min(Number(item.dataset.at), span)) / span}%`);
    }
  }

  bind() {
    this.slider.disabled = this.duration === 0;
    this.slider.addEventListener("input", () => {
      this.pause();
      this.seek(Number(this.slider.value));
    });
    this.slider.addEventListener("keydown", (event) => {
      let to = null;
      if (event.key in KEY_STEPS) to = this.now + KEY_STEPS[event.key];
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = this.duration;
      if (to === null) return;
      event.preventDefault();
      this.pause();
      this.seek(to);
    });
    this.playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    for (const radio of document.querySelectorAll("input[name=replay-speed]")) {
      const use = () => {
        if (!radio.checked) return;
        this.speed = Number(radio.value) || 1;
        this.videos.setRate(this.speed);
      };
      radio.addEventListener("change", use);
      use();
    }
    // every "go to this moment" control of the page, server-rendered and disabled until now
    for (const button of document.querySelectorAll(".replay-seek")) {
      button.disabled = false;
      button.addEventListener("click", () => this.jump(Number(button.dataset.at)));
    }
    this.bindLayout();
    this.bindSearch();
  }

  bindLayout() {
    const panel = $("replay-layout");
    if (!panel) return;
    panel.hidden = false;
    const focus = $("replay-focus");
    const apply = () => {
      const mode = document.querySelector("input[name=replay-layout]:checked")?.value || "grid";
      $("replay-focus-field").hidden = mode !== "one";
      this.videos.layout(mode, focus.value);
    };
    for (const radio of document.querySelectorAll("input[name=replay-layout]")) radio.addEventListener("change", apply);
    focus.addEventListener("change", apply);
    apply();
  }

  bindSearch() {
    const form = $("replay-search-form");
    const input = $("replay-search");
    if (!form || !input) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.filter(input.value);
    });
    input.addEventListener("input", () => this.filter(input.value));
    this.filter(input.value);
  }

  /** Keep the transcript lines containing `query` (any case), the matches marked. */
  filter(query) {
    const needle = query.trim().toLocaleLowerCase();
    let shown = 0;
    for (const segment of this.segments) {
      const haystack = segment.plain.toLocaleLowerCase();
      const hit = !needle || haystack.includes(needle);
      segment.item.hidden = !hit;
      if (hit) shown += 1;
      if (!needle || !hit) {
        segment.text.textContent = segment.plain;
        continue;
      }
      const parts = [];
      let from = 0;
      for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, from)) {
        parts.push(segment.plain.slice(from, at));
        const mark = document.createElement("mark");
        mark.textContent = segment.plain.slice(at, at + needle.length);
        parts.push(mark);
        from = at + needle.length;
      }
      parts.push(segment.plain.slice(from));
      segment.text.replaceChildren(...parts);
    }
    const status = $("replay-search-status");
    if (status) {
      const total = this.segments.length;
      status.textContent = needle ? t("matches", { n: shown, total }) : t("all_segments", { total });
    }
  }

  jump(ms) {
    this.pause();
    this.seek(ms);
  }

  seek(ms, { fromVideo = false } = {}) {
    this.now = Math.max(0, Math.min(this.duration, Math.round(ms)));
    this.slider.value = String(this.now);
    this.slider.style.setProperty("--progress", `${(100 * this.now) / (this.duration || 1)}%`);
    const position = t("position", { elapsed: formatDuration(this.now), total: formatDuration(this.duration) });
    this.clock.textContent = position;
    this.slider.setAttribute("aria-valuetext", position);
    this.wall.textContent = t("at_clock", { time: this.wallFormat.format(new Date(this.start + this.now)) });
    this.root.dataset.now = String(this.now);
    if (this.playing) this.videos.follow(this.now);
    else if (!fromVideo) this.videos.seek(this.now);
    this.renderTranscript();
    this.renderTimed();
    this.renderCode();
    this.renderRun();
    if (this.board) {
      this.board.replay.seek(this.now);
      this.board.draw();
    }
  }

  renderTranscript() {
    let current = null;
    for (const segment of this.segments) {
      const on = segment.at <= this.now && this.now < Math.max(segment.end, segment.at + 1);
      if (on) {
        segment.item.setAttribute("aria-current", "true");
        current = current || segment;
      } else {
        segment.item.removeAttribute("aria-current");
      }
      segment.item.dataset.past = String(segment.end <= this.now);
    }
    if (current && this.playing && !current.item.hidden) {
      const list = current.item.parentElement;
      const top = current.item.offsetTop;
      if (top < list.scrollTop || top + current.item.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTop = Math.max(0, top - list.clientHeight / 3);
      }
    }
  }

  renderTimed() {
    for (const item of this.timed) item.dataset.future = String(Number(item.dataset.at) > this.now);
  }

  renderCode() {
    const target = $("replay-code");
    if (!this.code || !target) return;
    const local = this.now - this.data.code.offset;
    this.code.seek(local); // before the first keystroke: no update yet
    const key = String(this.code.applied);
    if (key === this.codeKey) return;
    this.codeKey = key;
    const authors = this.data.code.authors;
    const fragment = document.createDocumentFragment();
    for (const run of this.code.runs()) {
      const person = run.author === null ? null : authors[run.author];
      const span = document.createElement("span");
      span.className = person ? `playback-a${person.colour}` : "playback-a-none";
      span.title = t("typed_by", {
        name: person ? t("name_role", { name: person.name, role: person.role }) : t("former_participant"),
      });
      span.textContent = run.text;
      fragment.append(span);
    }
    target.replaceChildren(fragment);
    target.dataset.applied = key;
    const empty = $("replay-code-empty");
    empty.hidden = this.code.text.length > 0;
    empty.textContent = this.code.applied === 0 ? t("code_not_started") : t("code_empty");
  }

  renderRun() {
    const summary = $("replay-run-summary");
    if (!summary) return;
    const done = this.runs.filter((run) => run.at <= this.now);
    const run = done[done.length - 1];
    const output = $("replay-run-output");
    if (!run) {
      summary.textContent = t("no_run_yet");
      output.textContent = "";
      output.parentElement.hidden = true;
      return;
    }
    summary.textContent = `${run.mark} (${run.language})`;
    output.textContent = run.stdout + (run.stderr ? `\n${run.stderr}` : "");
    output.parentElement.hidden = !output.textContent; // a test-case run shows only its figures
  }

  play() {
    if (this.now >= this.duration) this.seek(0);
    this.playing = true;
    this.lastTick = performance.now();
    this.playButton.textContent = t("pause");
    this.playButton.dataset.playing = "true";
    this.videos.play(this.now, this.speed);
    const tick = (time) => {
      if (!this.playing) return;
      const elapsed = Math.max(0, time - this.lastTick);
      this.lastTick = time;
      const led = this.videos.lead(this.now);
      this.seek(led !== null && led >= this.now - 1000 ? led : this.now + elapsed * this.speed, { fromVideo: true });
      if (this.now >= this.duration) this.pause();
      else this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.videos.pause();
    this.playButton.textContent = t("play");
    this.playButton.dataset.playing = "false";
  }
}

async function start() {
  const root = $("replay");
  const dataElement = $("replay-data");
  if (!root || !dataElement) return;
  loadStrings($("replay-i18n"));
  const progress = $("replay-progress");
  try {
    const data = JSON.parse(dataElement.textContent);
    let code = null;
    if (data.code) {
      code = new Replay(data.code.updates, { pasteChars: data.code.pasteChars, idleMs: data.code.idleMs });
      await code.scan({
        onProgress: (done) => {
          progress.textContent = t("rebuilding", { percent: Math.floor(100 * done) });
        },
      });
    }
    new ReplayPage(root, data, code);
    progress.textContent = "";
    $("replay-controls").hidden = false;
    root.dataset.state = "ready";
  } catch (error) {
    progress.textContent = "";
    const problem = $("replay-error");
    problem.textContent = t("load_failed", { error: (error && error.message) || String(error) });
    problem.hidden = false;
    root.dataset.state = "failed";
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
