// The Run panel under the shared editor: runs the editor's code in the server's sandbox, shows
// its output as it streams (RUN_OUTPUT, to everyone in the room) and sends what is typed in the
// input line to the program's stdin (RUN_STDIN), like a terminal. Interviewers also run the code
// against the test cases of the problems the interview attaches (RUN_TESTS): those results,
// hidden cases included, reach the interviewers' sockets only.
import { addStrings, t } from "./i18n.js";

const MAX_OUTPUT_CHARS = 200000; // what the panel keeps on screen; older text scrolls away

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

export class RunPanel {
  /**
   * @param {HTMLElement} root the #run-panel section
   * @param {object} options
   * @param {object} options.config the page's room-config
   * @param {(type: string, payload: object) => boolean} options.send on the room socket
   * @param {() => {code: string, language: string}} options.source what the editor holds now
   * @param {(peerId: string) => string} options.nameOf a participant's name
   */
  constructor(root, { config, send, source, nameOf }) {
    this.nameOf = nameOf;
    this.root = root;
    this.config = config;
    this.send = send;
    this.source = source;
    this.mayLead = Boolean(config.mayLead);
    this.watchOnly = Boolean(config.observer) && !this.mayLead;
    this.runId = null;
    this.mine = false;
    this.runEnabled = true;
    this.interactive = false;
    this.outputChars = 0;
    this.$ = (id) => root.querySelector(`#${id}`);
    addStrings(root);
    this.setUp();
  }

  setUp() {
    this.$("run-button").addEventListener("click", () => this.run());
    this.$("run-stop").addEventListener("click", () => this.runId && this.send("RUN_STOP", { runId: this.runId }));
    this.$("run-clear").addEventListener("click", () => this.clear());
    this.$("run-stdin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendInput();
    });
    this.$("run-eof").addEventListener("click", () => {
      if (this.runId) this.send("RUN_STDIN", { runId: this.runId, eof: true });
    });
    const allow = this.$("run-allow");
    if (allow) allow.addEventListener("click", () => this.send("EDITOR_STATE", { runEnabled: !this.runEnabled }));
    const tests = this.$("run-tests-button");
    if (tests) tests.addEventListener("click", () => this.runTests());
    const select = this.$("run-tests-problem");
    if (select) {
      for (const problem of this.config.problems || []) {
        select.append(el("option", { value: String(problem.id) }, t("problem_option", problem)));
      }
    }
    this.sync();
  }

  /** The room socket is (not) joined. */
  setInteractive(on) {
    this.interactive = on;
    if (on && this.mayLead && this.$("run-tests")) this.send("RUN_HISTORY", {});
    this.sync();
  }

  /** EDITOR_STATE: runEnabled switches the Run button for everyone. */
  applyState(state) {
    if (typeof state.runEnabled === "boolean") this.runEnabled = state.runEnabled;
    const allow = this.$("run-allow");
    if (allow) allow.setAttribute("aria-pressed", this.runEnabled ? "true" : "false");
    this.$("run-disabled-note").hidden = this.runEnabled;
    this.sync();
  }

  sync() {
    const running = this.runId !== null;
    const button = this.$("run-button");
    button.disabled = !this.interactive || !this.runEnabled || this.watchOnly || running;
    this.$("run-stop").hidden = !running || this.watchOnly;
    const input = this.$("run-stdin");
    input.disabled = !running || this.watchOnly;
    this.$("run-stdin-send").disabled = input.disabled;
    this.$("run-eof").disabled = input.disabled;
    const tests = this.$("run-tests-button");
    if (tests) tests.disabled = !this.interactive || !(this.config.problems || []).length;
    this.root.dataset.running = running ? "true" : "false";
  }

  run() {
    const { code, language } = this.source();
    if (!code.trim()) {
      this.status(t("run_nothing"));
      return;
    }
    const stdin = this.$("run-input").value;
    if (this.send("RUN_CODE", { code, language, stdin })) {
      this.mine = true;
      this.status(t("run_starting"));
      this.$("run-button").disabled = true;
    }
  }

  runTests() {
    const { code, language } = this.source();
    const problemId = Number(this.$("run-tests-problem").value);
    if (!code.trim()) {
      this.testStatus(t("run_nothing"));
      return;
    }
    if (this.send("RUN_TESTS", { problemId, code, language })) {
      this.testStatus(t("tests_running"));
      this.$("run-tests-button").disabled = true;
    }
  }

  sendInput() {
    const input = this.$("run-stdin");
    if (!this.runId || input.disabled) return;
    this.send("RUN_STDIN", { runId: this.runId, text: `${input.value}\n` });
    input.value = "";
  }

  clear() {
    this.$("run-output").replaceChildren();
    this.outputChars = 0;
  }

  status(text) {
    this.$("run-status").textContent = text;
  }

  testStatus(text) {
    this.$("run-tests-status").textContent = text;
  }

  append(stream, text) {
    const out = this.$("run-output");
    const span = el("span", { class: `run-${stream}` }, text);
    out.append(span);
    this.outputChars += text.length;
    while (this.outputChars > MAX_OUTPUT_CHARS && out.firstChild) {
      this.outputChars -= out.firstChild.textContent.length;
      out.firstChild.remove();
    }
    out.scrollTop = out.scrollHeight;
  }

  // --- events from the room socket -------------------------------------------------------------
  started({ runId, language, fromId }) {
    this.clear();
    this.runId = runId;
    this.root.dataset.runId = runId;
    const who = fromId === this.config.peerId ? t("you") : this.nameOf(fromId);
    this.status(t("run_running", { language, name: who }));
    this.sync();
    if (!this.watchOnly) this.$("run-stdin").focus({ preventScroll: true });
  }

  output({ runId, chunks }) {
    if (runId !== this.runId || !Array.isArray(chunks)) return;
    for (const chunk of chunks) {
      if (chunk && typeof chunk.text === "string" && ["stdout", "stderr", "stdin"].includes(chunk.stream)) {
        this.append(chunk.stream, chunk.text);
      }
    }
  }

  finished(payload) {
    if (payload.runId !== this.runId) return;
    if (payload.compile && !payload.compile.ok && payload.compile.stderr) this.append("stderr", payload.compile.stderr);
    const figures = t("run_figures", { ms: payload.wallMs, exit: payload.exitCode ?? "–" });
    this.status(`${payload.message} ${figures}${payload.truncated ? ` ${t("run_truncated")}` : ""}`);
    this.root.dataset.verdict = payload.verdict;
    this.runId = null;
    this.mine = false;
    this.sync();
  }

  /** An ERROR frame about running (busy, disabled, throttled…): the Run button comes back. */
  refused(message) {
    if (this.mine && this.runId === null) {
      this.mine = false;
      this.status(message);
      this.sync();
    }
    if (this.$("run-tests-button") && this.$("run-tests-status").textContent === t("tests_running")) {
      this.testStatus(message);
      this.sync();
    }
  }

  testsResult(payload) {
    this.sync();
    const box = this.$("run-tests-results");
    box.replaceChildren();
    const summary = payload.compile && !payload.compile.ok
      ? t("tests_compile_error")
      : t("tests_summary", { passed: payload.passed, total: payload.total, title: payload.title });
    this.testStatus(summary);
    if (payload.compile && !payload.compile.ok) {
      box.append(el("pre", { class: "run-output run-compile" }, payload.compile.stderr || ""));
    } else {
      const table = el("table", { class: "run-cases" });
      const head = el("tr");
      for (const label of [t("case"), t("visibility"), t("result"), t("time_ms")]) head.append(el("th", { scope: "col" }, label));
      const thead = el("thead");
      thead.append(head);
      table.append(thead);
      const body = el("tbody");
      for (const result of payload.results || []) {
        const row = el("tr", { "data-passed": result.passed ? "true" : "false" });
        row.append(el("td", {}, result.name || `#${result.testCaseId}`));
        row.append(el("td", {}, result.hidden ? t("hidden") : t("visible")));
        row.append(el("td", {}, result.passed ? t("passed") : `${t("failed")} (${result.verdict})`));
        row.append(el("td", {}, String(result.executionTimeMs ?? "")));
        body.append(row);
      }
      table.append(body);
      box.append(table);
    }
    if (payload.history) this.history({ history: payload.history });
  }

  history({ history }) {
    const box = this.$("run-history");
    if (!box || !Array.isArray(history)) return;
    box.replaceChildren();
    for (const line of history) {
      const section = el("section", { class: "run-history-item" });
      section.append(el("h4", {}, line.title));
      const facts = el("p");
      facts.textContent = [
        t("history_runs", { n: line.runs }),
        line.firstAllGreenAt
          ? t("history_green", { time: new Date(line.firstAllGreenAt).toLocaleTimeString() })
          : t("history_not_green"),
        t("history_regressions", { n: line.regressions }),
      ].join(" · ");
      section.append(facts);
      const list = el("ol", { class: "run-history-points" });
      for (const point of line.points) {
        const item = el(
          "li",
          { "data-regression": point.regression ? "true" : "false" },
          `${new Date(point.at).toLocaleTimeString()} — ${point.passed}/${point.total}${point.regression ? ` (${t("regression")})` : ""}`,
        );
        list.append(item);
      }
      section.append(list);
      box.append(section);
    }
  }
}
