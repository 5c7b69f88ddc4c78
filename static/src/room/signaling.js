// The room socket (DESIGN.md §4.1): JSON frames {type, payload}. It sends JOIN_ROOM on every
// (re)connection, PING while joined (the server refreshes our presence on it), and reconnects
// with exponential back-off, except after the close codes that say "do not come back".
export const CLOSE_NOT_AUTHENTICATED = 4401;
export const CLOSE_NOT_ALLOWED = 4403;
export const CLOSE_REPLACED = 4409;
export const CLOSE_ROOM_CLOSED = 4410;
const FINAL_CLOSE_CODES = new Set([
  CLOSE_NOT_AUTHENTICATED,
  CLOSE_NOT_ALLOWED,
  CLOSE_REPLACED,
  CLOSE_ROOM_CLOSED,
]);
const MAX_DELAY_SECONDS = 30;
const PONG_TIMEOUT_MS = 10000;

export class RoomSocket {
  /**
   * @param {object} options
   * @param {string} options.url the ws(s):// address, with ?token= for a join link
   * @param {() => object} options.joinPayload JOIN_ROOM's payload, built at each (re)join
   * @param {(type: string, payload: object) => void} options.onEvent every frame but PONG
   * @param {(phase: object) => void} options.onPhase connecting, joining, joined, waiting, offline, closed
   * @param {number} options.pingSeconds
   */
  constructor({ url, joinPayload, onEvent, onPhase, pingSeconds = 20 }) {
    this.url = url;
    this.joinPayload = joinPayload;
    this.onEvent = onEvent;
    this.onPhase = onPhase;
    this.pingMs = pingSeconds * 1000;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.joined = false;
    this.lastError = null;
    this.timers = { ping: null, pong: null, retry: null, countdown: null };
    this.onOnline = () => {
      if (this.timers.retry) this.connect();
    };
    window.addEventListener("online", this.onOnline);
  }

  connect() {
    this.clearRetry();
    if (this.stopped) return;
    this.lastError = null;
    this.onPhase({ phase: "connecting", attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.onPhase({ phase: "joining" });
      ws.send(JSON.stringify({ type: "JOIN_ROOM", payload: this.joinPayload() }));
    });
    ws.addEventListener("message", (event) => {
      if (ws === this.ws) this.receive(event.data);
    });
    ws.addEventListener("close", (event) => this.closed(ws, event.code));
  }

  /** Send a frame when joined (JOIN_ROOM and PING go out before); false when it could not. */
  send(type, payload = {}) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.joined) return false;
    ws.send(JSON.stringify({ type, payload }));
    return true;
  }

  /** Leave for good: no reconnection. */
  close() {
    this.stopped = true;
    this.clearRetry();
    this.stopPing();
    window.removeEventListener("online", this.onOnline);
    const ws = this.ws;
    this.ws = null;
    this.joined = false;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "leave");
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    const payload = frame.payload && typeof frame.payload === "object" ? frame.payload : {};
    if (frame.type === "PONG") {
      clearTimeout(this.timers.pong);
      this.timers.pong = null;
      return;
    }
    if (frame.type === "ROOM_PEERS") {
      this.joined = true;
      this.attempt = 0;
      this.startPing();
      this.onPhase({ phase: "joined" });
    } else if (frame.type === "ERROR") {
      this.lastError = payload;
    }
    this.onEvent(frame.type, payload);
  }

  closed(ws, code) {
    if (ws !== this.ws) return; // a socket we already gave up on
    this.ws = null;
    this.joined = false;
    this.stopPing();
    if (this.stopped) return;
    if (FINAL_CLOSE_CODES.has(code)) {
      this.stopped = true;
      window.removeEventListener("online", this.onOnline);
      this.onPhase({ phase: "closed", code, error: this.lastError });
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.clearRetry();
    const delay = Math.min(MAX_DELAY_SECONDS, 2 ** Math.min(this.attempt, 5)); // 1, 2, 4, … 30 s
    this.attempt += 1;
    let left = delay;
    const tell = () => {
      this.onPhase(navigator.onLine === false ? { phase: "offline" } : { phase: "waiting", seconds: left });
    };
    tell();
    this.timers.countdown = setInterval(() => {
      left = Math.max(1, left - 1);
      tell();
    }, 1000);
    this.timers.retry = setTimeout(() => this.connect(), delay * 1000);
  }

  clearRetry() {
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.countdown);
    this.timers.retry = null;
    this.timers.countdown = null;
  }

  startPing() {
    this.stopPing();
    this.timers.ping = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: "PING", payload: {} }));
      if (!this.timers.pong) {
        // no PONG in time: the connection is dead even if the browser has not noticed yet
        this.timers.pong = setTimeout(() => this.abandon(ws), PONG_TIMEOUT_MS);
      }
    }, this.pingMs);
  }

  stopPing() {
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.timers.ping = null;
    this.timers.pong = null;
  }

  abandon(ws) {
    if (ws !== this.ws) return;
    this.closed(ws, 1006);
    ws.close();
  }
}
