// The bell in the top bar: its unread count follows /ws/notifications/ live (docs/notifications.md).
// Server-rendered first (works without JS); the socket only keeps the badge and label current and
// announces new notifications through the polite live region.

const NOT_AUTHENTICATED = 4401;

function label(bell, count) {
  const template = count === 1 ? bell.dataset.labelOne : bell.dataset.labelOther;
  return (template || "").replace("__N__", String(count));
}

export function setUnread(bell, count) {
  const badge = bell.querySelector("[data-bell-count]");
  if (badge) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
  bell.setAttribute("aria-label", label(bell, count));
}

export function enhanceBell(root, { WebSocketImpl = window.WebSocket } = {}) {
  const bell = root.querySelector("[data-bell]");
  if (!bell || !WebSocketImpl || !("bellLiveUpdates" in bell.dataset)) return null;
  const live = root.querySelector("[data-bell-live]");
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${window.location.host}/ws/notifications/`;
  let delay = 1000;
  let socket = null;

  function onMessage(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const payload = frame && frame.payload;
    if (!payload) return;
    if (frame.type === "unread" && Number.isInteger(payload.count)) {
      setUnread(bell, payload.count);
    } else if (frame.type === "notification") {
      if (Number.isInteger(payload.unread)) setUnread(bell, payload.unread);
      if (live && payload.title) live.textContent = `${bell.dataset.labelNew || ""} ${payload.title}`.trim();
      bell.classList.add("bell-new");
      document.dispatchEvent(new CustomEvent("talentsync:notification", { detail: payload }));
    }
  }

  function connect() {
    socket = new WebSocketImpl(url);
    socket.addEventListener("open", () => {
      delay = 1000;
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", (event) => {
      if (event.code === NOT_AUTHENTICATED) return; // logged out elsewhere: the next page load shows it
      // reconnect with backoff (server restarts, network changes), capped at 30 s
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  connect();
  return { get socket() { return socket; } };
}
