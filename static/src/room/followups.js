// Follow-up suggestions for the interviewers (GET <url>?question=<id>). Self-contained: its
// strings come from the panel's data-t-* attributes (translated in templates/recordings/_followups.html),
// and every text goes in with textContent, never as HTML. The server answers only to those who
// may lead the room, so a candidate's page has neither this panel nor anything to fill it with.

function strings(root) {
  const found = {};
  for (const { name, value } of root.attributes) {
    if (name.startsWith("data-t-")) found[name.slice(7).replace(/-/g, "_")] = value;
  }
  return found;
}

function fill(template, params) {
  return String(template ?? "").replace(/%\((\w+)\)s|%%/g, (match, name) =>
    name === undefined ? "%" : String(params[name] ?? ""),
  );
}

export class FollowUpPanel {
  /**
   * @param {HTMLElement} root the panel (templates/recordings/_followups.html)
   * @param {{url: string, token?: string}} options the endpoint; the join token when the page
   *   was opened through a join link (sent as X-Room-Token), empty for a signed-in session
   */
  constructor(root, { url, token = "" } = {}) {
    this.root = root;
    this.url = url || root.dataset.followupsUrl || "";
    this.token = token;
    this.t = strings(root);
    this.list = root.querySelector("[data-followups-list]");
    this.status = root.querySelector("[data-followups-status]");
    this.coverage = root.querySelector("[data-followups-coverage]");
    this.questionId = null;
    this.request = 0;
    root.querySelector("[data-followups-refresh]")?.addEventListener("click", () => {
      if (this.questionId !== null) this.show(this.questionId);
    });
  }

  /** Fetch and show the suggestions for one question of the plan. */
  async show(questionId) {
    const id = Number(questionId);
    if (!Number.isInteger(id) || !this.url) return;
    this.questionId = id;
    const request = ++this.request;
    this.root.hidden = false;
    this.root.setAttribute("aria-busy", "true");
    this.setStatus(this.t.loading);
    let answer = null;
    try {
      const response = await fetch(`${this.url}?question=${encodeURIComponent(id)}`, {
        headers: { Accept: "application/json", ...(this.token ? { "X-Room-Token": this.token } : {}) },
        credentials: "same-origin",
        cache: "no-store",
      });
      answer = response.ok ? await response.json() : null;
    } catch {
      answer = null;
    }
    if (request !== this.request) return; // a later show() won
    this.root.removeAttribute("aria-busy");
    this.render(answer);
  }

  render(answer) {
    this.list.replaceChildren();
    if (this.coverage) this.coverage.textContent = "";
    if (!answer) {
      this.setStatus(this.t.failed);
      return;
    }
    if (answer.status === "disabled") {
      this.setStatus(this.t.disabled);
      return;
    }
    if (this.coverage && answer.total) {
      this.coverage.textContent = fill(this.t.coverage, { covered: answer.covered, total: answer.total });
    }
    for (const suggestion of answer.suggestions || []) {
      const item = document.createElement("li");
      item.className = `followup followup-${suggestion.source === "guide" ? "guide" : "question"}`;
      item.textContent = suggestion.text;
      this.list.append(item);
    }
    this.setStatus((answer.suggestions || []).length ? "" : this.t.empty);
  }

  setStatus(text) {
    if (this.status) this.status.textContent = text || "";
  }
}
