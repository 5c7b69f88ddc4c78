// Questions: the interviewer's "My Questions" panel pushes a planned question by id; everyone
// else sees what was pushed as a card. The card shows only what the server delivered (the
// question's text): hints and answer guides are never in a candidate's page or socket.
import { t } from "./i18n.js";

export class QuestionPanel {
  constructor(root, { send }) {
    this.buttons = [...root.querySelectorAll("button[data-push-question]")];
    for (const button of this.buttons) {
      button.addEventListener("click", () => {
        const id = Number(button.dataset.pushQuestion);
        if (!send("push_question", { questionId: id })) return;
        const state = root.querySelector(`[data-push-state="${id}"]`);
        if (state) state.textContent = t("pushed");
        button.closest(".room-question")?.classList.add("pushed");
      });
    }
  }

  setEnabled(enabled) {
    for (const button of this.buttons) button.disabled = !enabled;
  }
}

export class QuestionCard {
  constructor(root) {
    this.root = root;
    this.text = root.querySelector("#question-card-text");
    this.from = root.querySelector("#question-card-from");
  }

  show(text, fromName) {
    if (typeof text !== "string") return;
    this.text.textContent = text;
    this.from.textContent = fromName ? t("asked_by", { name: fromName }) : "";
    this.root.hidden = false;
  }
}
