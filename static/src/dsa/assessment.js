// The started assessment (loaded by main.js once the clock runs): a CodeMirror editor, Run and
// Submit, a countdown to the server's deadline (the server enforces it; this only shows it),
// proctoring snapshots when the stage asks for them, and integrity events.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { Compartment, EditorState } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { EditorView, keymap } from "@codemirror/view";
import { lightTheme } from "../room/code-theme.js";
import { languageSupport } from "../room/languages.js";
import { Proctoring } from "./proctoring.js";
import { IntegrityReporter } from "./integrity.js";
import { postJson } from "./http.js";
import { CONSENTED_KEY } from "./consent.js";

const config = JSON.parse(document.getElementById("dsa-config").textContent);
const strings = JSON.parse(document.getElementById("dsa-i18n").textContent);

/** A translated string with its %(name)s placeholders filled in. */
function t(key, values = {}) {
  return (strings[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

const $ = (id) => document.getElementById(id);
const root = $("dsa");
const announce = (text) => {
  $("dsa-announce").textContent = text;
};

// --- time -----------------------------------------------------------------------------------
// The server's clock decides; remember how far ours is from it.
let clockOffset = Date.parse(config.serverNow) - Date.now();
let deadline = config.deadline ? Date.parse(config.deadline) : null;
let ended = Boolean(config.finished);

function serverNow() {
  return Date.now() + clockOffset;
}

function formatLeft(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(hours ? 2 : 1, "0");
  return `${hours ? `${hours}:` : ""}${mm}:${String(seconds).padStart(2, "0")}`;
}

let warned = false;
function tick() {
  if (deadline === null || ended) return;
  const left = deadline - serverNow();
  const countdown = $("dsa-countdown");
  countdown.textContent = t("time_left", { time: formatLeft(left) });
  countdown.parentElement.dataset.urgent = String(left < 5 * 60 * 1000);
  if (!warned && left < 5 * 60 * 1000 && left > 0) {
    warned = true;
    announce(t("time_left", { time: formatLeft(left) }));
  }
  if (left <= 0 && !ended) endAssessment(t("time_up"));
}

// --- editor ---------------------------------------------------------------------------------
const problems = new Map(config.problems.map((p) => [p.id, p]));
let problemId = config.problems.length ? config.problems[0].id : null;
const languageSelect = $("dsa-language");
const languageCompartment = new Compartment();
const editableCompartment = new Compartment();
const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;

function storageKey(pid, language) {
  return `${config.storageKey}:${pid}:${language}`;
}

function savedCode(pid, language) {
  try {
    const saved = window.localStorage.getItem(storageKey(pid, language));
    if (saved !== null) return saved;
  } catch {
    // storage may be off (private mode): fall back to the starter code
  }
  const problem = problems.get(pid);
  return (problem && problem.starter && problem.starter[language]) || "";
}

function saveCode() {
  if (problemId === null) return;
  try {
    window.localStorage.setItem(storageKey(problemId, languageSelect.value), view.state.doc.toString());
  } catch {
    // not fatal: the code is still in the editor
  }
}

let integrity = null;
let saveTimer = null;
const view = new EditorView({
  parent: $("dsa-editor-host"),
  state: EditorState.create({
    doc: "",
    extensions: [
      basicSetup,
      keymap.of([indentWithTab]),
      languageCompartment.of([]),
      editableCompartment.of(EditorView.editable.of(true)),
      dark ? oneDark : lightTheme,
      EditorView.contentAttributes.of({ "aria-label": $("dsa-editor-host").getAttribute("aria-label") || "Code" }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        window.clearTimeout(saveTimer);
        saveTimer = window.setTimeout(saveCode, 400);
      }),
      EditorView.domEventHandlers({
        paste(event) {
          const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
          if (integrity) integrity.record("paste", { length: text.length });
          return false;
        },
      }),
    ],
  }),
});
$("dsa-editor-host").querySelector(".tool-loading")?.remove();

async function loadEditor() {
  const language = languageSelect.value;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: savedCode(problemId, language) } });
  try {
    const support = await languageSupport(language);
    if (languageSelect.value === language) view.dispatch({ effects: languageCompartment.reconfigure(support) });
  } catch {
    view.dispatch({ effects: languageCompartment.reconfigure([]) });
  }
}

languageSelect.addEventListener("change", () => {
  loadEditor();
});

// --- problems -------------------------------------------------------------------------------
function showProblem(pid) {
  saveCode();
  problemId = pid;
  for (const article of document.querySelectorAll(".dsa-problem")) {
    article.hidden = Number(article.dataset.problemId) !== pid;
  }
  for (const tab of document.querySelectorAll("[data-problem-id][role=tab]")) {
    const selected = Number(tab.dataset.problemId) === pid;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  clearResults();
  loadEditor();
}

const tabs = [...document.querySelectorAll("[data-problem-id][role=tab]")];
tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => showProblem(Number(tab.dataset.problemId)));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(index + step + tabs.length) % tabs.length];
    next.focus();
    showProblem(Number(next.dataset.problemId));
  });
});

// --- run and submit ------------------------------------------------------------------------
const runButton = $("dsa-run");
const submitButton = $("dsa-submit");
const resultsList = $("dsa-results");
const summary = $("dsa-results-summary");
let busy = false;

function setBusy(value) {
  busy = value;
  const off = value || ended || problemId === null;
  runButton.disabled = off;
  submitButton.disabled = off;
  root.setAttribute("aria-busy", String(value));
}

function clearResults() {
  resultsList.replaceChildren();
  summary.textContent = "";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function detailRow(list, label, value) {
  list.append(element("dt", "", label), element("dd", "", value));
}

function showResults(answer) {
  clearResults();
  if (!answer.compile.ok) {
    summary.textContent = t("compile_error");
    const item = element("li", "dsa-result dsa-result-fail");
    item.append(element("p", "dsa-result-title", t("compile_error")), element("pre", "dsa-output", answer.compile.stderr));
    resultsList.append(item);
    return;
  }
  const results = answer.results;
  if (!results.length) {
    summary.textContent = t("no_tests");
    return;
  }
  const passed = results.filter((r) => r.passed).length;
  summary.textContent = t("passed_n", { passed, total: results.length });
  let hiddenN = 0;
  let sampleN = 0;
  for (const result of results) {
    const item = element("li", `dsa-result ${result.passed ? "dsa-result-pass" : "dsa-result-fail"}`);
    item.dataset.testCaseId = String(result.testCaseId);
    const name = result.hidden ? t("hidden_case", { n: ++hiddenN }) : t("sample_case", { n: ++sampleN });
    const title = element("p", "dsa-result-title");
    title.append(element("span", "dsa-result-name", name), " ", element("strong", "dsa-result-state", result.passed ? t("passed") : t("failed")));
    item.append(title);
    if (!result.hidden) {
      const facts = element("dl", "dsa-result-facts");
      detailRow(facts, t("verdict"), result.verdict);
      detailRow(facts, t("time"), t("time_value", { n: result.executionTimeMs }));
      detailRow(facts, t("memory"), t("memory_value", { n: result.memoryUsedKB }));
      item.append(facts);
      if (result.stdout) item.append(element("p", "dsa-io-label", t("output")), element("pre", "dsa-output", result.stdout));
      if (result.stderr) item.append(element("p", "dsa-io-label", t("errors")), element("pre", "dsa-output dsa-stderr", result.stderr));
    }
    resultsList.append(item);
  }
}

async function refreshState() {
  try {
    const response = await fetch(config.urls.state, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (response.status === 410) return endAssessment(t("ended"));
    if (!response.ok) return;
    const state = await response.json();
    clockOffset = Date.parse(state.serverNow) - Date.now();
    deadline = state.deadline ? Date.parse(state.deadline) : deadline;
    $("dsa-submissions-left").textContent = t("submissions_left", { n: state.submissionsLeft });
    if (state.finished) endAssessment(t("ended"));
  } catch {
    // offline for a moment: the next action tries again
  }
}

async function send(kind) {
  if (busy || ended || problemId === null) return;
  const code = view.state.doc.toString();
  if (new TextEncoder().encode(code).length > config.maxCodeBytes) {
    summary.textContent = t("code_too_large");
    return;
  }
  saveCode();
  setBusy(true);
  summary.textContent = kind === "submit" ? t("submitting") : t("running");
  resultsList.replaceChildren();
  try {
    const { response, data } = await postJson(config.urls[kind], {
      language: languageSelect.value,
      code,
      problemId,
    });
    if (response.ok) {
      showResults(data);
      if (kind === "submit") {
        summary.textContent = `${t("submitted")} ${summary.textContent}`;
        announce(t("submitted"));
      }
    } else if (response.status === 410) {
      endAssessment(data.error || t("ended"));
    } else if (response.status === 429) {
      // the server says why: too many runs, or one of this assessment's runs is still going
      summary.textContent = data.error || t("retry_in", { n: response.headers.get("Retry-After") || "?" });
    } else {
      summary.textContent = data.error || t("network_error");
    }
  } catch {
    summary.textContent = t("network_error");
  } finally {
    setBusy(false);
    if (kind === "submit") refreshState();
  }
}

runButton.addEventListener("click", () => send("run"));
submitButton.addEventListener("click", () => send("submit"));

// --- the end --------------------------------------------------------------------------------
let proctoring = null;

function endAssessment(message) {
  if (ended && root.dataset.phase === "ended") return;
  ended = true;
  root.dataset.phase = "ended";
  setBusy(false);
  if (proctoring) proctoring.stop();
  if (integrity) integrity.flush();
  view.dispatch({ effects: editableCompartment.reconfigure(EditorView.editable.of(false)) });
  $("dsa-work").hidden = true;
  const notice = $("dsa-notice");
  if (notice) notice.hidden = true;
  $("dsa-ended").hidden = false;
  $("dsa-ended-title").textContent = message;
  $("dsa-ended-title").focus();
  announce("");
}

const finishDialog = $("dsa-finish-dialog");
$("dsa-finish").addEventListener("click", () => {
  if (ended) return;
  if (typeof finishDialog.showModal === "function") finishDialog.showModal();
  else if (window.confirm(t("finish_confirm"))) finish();
});
finishDialog.addEventListener("close", () => {
  if (finishDialog.returnValue === "finish") finish();
});

async function finish() {
  if (integrity) await integrity.flush();
  try {
    const { response, data } = await postJson(config.urls.finish, {});
    if (response.ok || response.status === 410) endAssessment(t("ended"));
    else summary.textContent = data.error || t("network_error");
  } catch {
    summary.textContent = t("network_error");
  }
}

// --- full screen ----------------------------------------------------------------------------
const fullscreenButton = $("dsa-fullscreen");
if (!document.fullscreenEnabled) fullscreenButton.hidden = true;
fullscreenButton.addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
});

// --- start ----------------------------------------------------------------------------------
function startWorking() {
  root.dataset.phase = "working";
  $("dsa-work").hidden = false;
  integrity = new IntegrityReporter(config.urls.events);
  integrity.start();
  setBusy(false);
  view.focus();
}

if (ended) {
  endAssessment(t("ended"));
} else {
  loadEditor();
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(refreshState, 60 * 1000);
  if (config.proctoring.enabled) {
    const startProctored = async ({ consented }) => {
      $("dsa-consent").disabled = true;
      $("dsa-notice").hidden = true;
      startWorking();
      if (!consented) {
        try {
          await postJson(config.urls.consent, {});
        } catch {
          // the snapshots themselves show that proctoring ran
        }
      }
      proctoring = new Proctoring({
        url: config.urls.snapshot,
        intervalSeconds: config.proctoring.intervalSeconds,
        video: $("dsa-camera-video"),
        indicator: $("dsa-camera"),
        indicatorText: $("dsa-camera-text"),
        t,
        onDenied: () => integrity.record("camera_denied"),
        onEnded: () => endAssessment(t("ended")),
      });
      proctoring.start();
    };
    // Start on the start screen was the consent (and was recorded): do not ask again right after.
    let consented = false;
    try {
      consented = window.sessionStorage.getItem(CONSENTED_KEY(config.urls.page)) === "1";
      window.sessionStorage.removeItem(CONSENTED_KEY(config.urls.page));
    } catch {
      // storage off: the notice asks once more
    }
    if (consented) startProctored({ consented: true });
    else $("dsa-consent").addEventListener("click", () => startProctored({ consented: false }));
  } else {
    startWorking();
  }
}
