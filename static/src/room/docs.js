// The room's shared Yjs documents (DESIGN.md §4.2, docs/editor-contract.md): the stock
// y-websocket provider on /ws/rooms/<room>/yjs/<name>/, authenticated like the room socket.
import * as authProtocol from "y-protocols/auth";
import { WebsocketProvider, messageAuth } from "y-websocket";
import * as Y from "yjs";

const CLOSE_NOT_AUTHENTICATED = 4401;
const CLOSE_NOT_ALLOWED = 4403;

const COLORS = ["#1d4ed8", "#be185d", "#047857", "#b45309", "#6d28d9", "#b91c1c", "#0e7490", "#4d7c0f"];

/** A stable colour per person (from their peer id), dark enough under white text. */
export function userColor(peerId) {
  let hash = 0;
  for (const char of String(peerId || "")) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const color = COLORS[hash % COLORS.length];
  return { color, colorLight: `${color}40` };
}

/**
 * Open one document of the room.
 *
 * @param {object} config the page's room-config
 * @param {string} name "code" or "whiteboard"
 * @param {object} handlers
 * @param {(state: "connecting"|"connected"|"synced"|"disconnected"|"refused") => void} handlers.onState
 * @param {(reason: string) => void} [handlers.onDenied] the server refused one of our updates
 * @returns {{doc: Y.Doc, provider: WebsocketProvider, awareness: object, close: () => void}}
 */
export function openDoc(config, name, { onState, onDenied = () => {} }) {
  const doc = new Y.Doc();
  const url = new URL(config.docUrl, window.location.href);
  url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  const provider = new WebsocketProvider(url.href, `${name}/`, doc, {
    params: config.token ? { token: config.token } : {},
    // no BroadcastChannel between this browser's tabs: every update goes through the server,
    // which is the one that enforces the lock
    disableBc: true,
    maxBackoffTime: 10000,
  });
  provider.messageHandlers[messageAuth] = (_encoder, decoder) => {
    authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => onDenied(reason));
  };
  provider.on("status", ({ status }) => onState(status));
  provider.on("sync", (synced) => {
    if (synced) onState("synced");
  });
  provider.on("connection-close", (event) => {
    if (!event || (event.code !== CLOSE_NOT_AUTHENTICATED && event.code !== CLOSE_NOT_ALLOWED)) return;
    // refused for good: stop the provider's endless reconnection (it checks this flag before
    // each attempt; disconnect() itself would re-enter this handler now)
    provider.shouldConnect = false;
    onState("refused");
  });
  const user = { name: config.name, peerId: config.peerId, ...userColor(config.peerId) };
  provider.awareness.setLocalStateField("user", user);
  return {
    doc,
    provider,
    awareness: provider.awareness,
    close() {
      provider.destroy();
      doc.destroy();
    },
  };
}
