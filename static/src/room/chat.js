// The room chat: to everyone or privately to one participant. Every text goes into the page
// with textContent, so a message that contains HTML is shown as the text it is.
import { t } from "./i18n.js";

export class ChatPanel {
  /**
   * @param {HTMLElement} root #chat-panel
   * @param {{send: (type: string, payload: object) => boolean, nameOf: (id: string) => string, selfId: () => string|null}} o
   */
  constructor(root, { send, nameOf, selfId }) {
    this.send = send;
    this.nameOf = nameOf;
    this.selfId = selfId;
    this.log = root.querySelector("#chat-log");
    this.form = root.querySelector("#chat-form");
    this.target = root.querySelector("#chat-target");
    this.text = root.querySelector("#chat-text");
    this.button = root.querySelector("#chat-send");
    this.seen = new Set();
    this.locale = document.documentElement.lang || undefined;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
  }

  submit() {
    const text = this.text.value.trim();
    if (!text) return;
    const payload = { text };
    if (this.target.value) payload.targetId = this.target.value;
    // the server echoes the stored message back: it is shown then, once
    if (this.send("CHAT", payload)) this.text.value = "";
  }

  setEnabled(enabled) {
    this.button.disabled = !enabled;
  }

  /** The "Send to" choices: everyone, then each person in the room. */
  setPeople(people) {
    const chosen = this.target.value;
    const everyone = new Option(t("everyone"), "");
    const options = people.map(({ id, name }) => new Option(name, id));
    this.target.replaceChildren(everyone, ...options);
    this.target.value = people.some((p) => p.id === chosen) ? chosen : "";
  }

  add(message) {
    if (!message || typeof message.text !== "string" || this.seen.has(message.id)) return;
    this.seen.add(message.id);
    const own = message.fromId === this.selfId();
    const line = document.createElement("li");
    line.className = "chat-line";
    if (own) line.classList.add("chat-own");
    if (message.targetId) line.classList.add("chat-private");
    const meta = document.createElement("p");
    meta.className = "chat-meta";
    const from = document.createElement("span");
    from.className = "chat-from";
    from.textContent = own ? t("you") : this.nameOf(message.fromId);
    meta.append(from);
    if (message.targetId) {
      const to = document.createElement("span");
      to.className = "chat-to";
      to.textContent = own ? t("to_private", { name: this.nameOf(message.targetId) }) : t("from_private");
      meta.append(" ", to);
    }
    const sent = new Date(message.sentAt);
    if (!Number.isNaN(sent.getTime())) {
      const time = document.createElement("time");
      time.dateTime = message.sentAt;
      time.textContent = sent.toLocaleTimeString(this.locale, { hour: "2-digit", minute: "2-digit" });
      meta.append(" ", time);
    }
    const body = document.createElement("p");
    body.className = "chat-text";
    body.textContent = message.text;
    line.append(meta, body);
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.append(line);
    if (atBottom || own) this.log.scrollTop = this.log.scrollHeight;
  }
}
