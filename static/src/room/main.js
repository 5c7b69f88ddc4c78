// The interview room page: pre-join screen (devices, preview), then the call (WebRTC mesh),
// pushed questions and chat over the room socket (DESIGN.md §4.1), and the code editor and
// whiteboard (workspace.js, loaded lazily). Entry of static/dist/room.js.
import { ChatPanel } from "./chat.js";
import { FollowUpPanel } from "./followups.js";
import { PeopleGrid } from "./grid.js";
import { loadStrings, t } from "./i18n.js";
import { LocalMedia, Preview, fillDeviceSelects, screenShareSupported } from "./media.js";
import { PeerLink, qualityLevel } from "./peers.js";
import { QuestionCard, QuestionPanel } from "./questions.js";
import {
  CLOSE_NOT_ALLOWED,
  CLOSE_NOT_AUTHENTICATED,
  CLOSE_REPLACED,
  CLOSE_ROOM_CLOSED,
  RoomSocket,
} from "./signaling.js";
import { SpeakerDetector } from "./speaker.js";
import { Workspace } from "./workspace.js";

const SELF = "self";
const RECORDER = "recorder"; // the media process's recorder: a peer to send media to, never a tile
const QUALITY_EVERY_MS = 2000;
const $ = (id) => document.getElementById(id);

function deviceLabel(kind, n) {
  return t(kind === "videoinput" ? "camera_n" : "microphone_n", { n });
}

function errorText(error) {
  return (error && (error.message || error.name)) || String(error);
}

function setPressed(button, pressed) {
  if (button) button.setAttribute("aria-pressed", pressed ? "true" : "false");
}

function isPressed(button) {
  return Boolean(button) && button.getAttribute("aria-pressed") === "true";
}

class Room {
  constructor(config) {
    this.config = config;
    this.video = Boolean(config.tools.video);
    this.sendsMedia = this.video && !config.observer;
    this.selfId = null;
    /** @type {Map<string, {info: object, link: PeerLink|null, stream: MediaStream, media: object}>} */
    this.peers = new Map();
    this.media = new LocalMedia();
    this.socket = null;
    this.qualityTimer = null;
    this.phase = "prejoin";
    this.soundBlocked = false;
    this.mediaProblem = "";
    this.recording = config.recording || { enabled: false, consented: false, consentUrl: "" };

    this.root = $("room");
    this.status = $("room-status");
    this.grid = new PeopleGrid($("people"), { video: this.video, onBlockedSound: () => this.blockedSound() });
    this.speaker = new SpeakerDetector((id) => this.grid.setSpeaking(id));
    this.card = new QuestionCard($("question-card"));
    const send = (type, payload) => (this.socket ? this.socket.send(type, payload) : false);
    this.chat = $("chat-panel")
      ? new ChatPanel($("chat-panel"), { send, nameOf: (id) => this.nameOf(id), selfId: () => this.selfId })
      : null;
    // interviewers only (the partial is not rendered for anyone else): suggestions for the pushed question
    const followups = $("followups-panel");
    this.followups = followups
      ? new FollowUpPanel(followups, { url: followups.dataset.followupsUrl, token: config.token })
      : null;
    const pushAndSuggest = (type, payload) => {
      const sent = send(type, payload);
      if (sent && type === "push_question") this.followups?.show(payload.questionId);
      return sent;
    };
    this.plan = $("plan-panel") ? new QuestionPanel($("plan-panel"), { send: pushAndSuggest }) : null;
    this.workspace = $("workspace")
      ? new Workspace($("workspace"), { config, send, say: (text) => this.say(text), nameOf: (id) => this.nameOf(id) })
      : null;
    this.controls = {
      mic: $("mic-button"),
      camera: $("camera-button"),
      screen: $("screen-button"),
      leave: $("leave-button"),
      end: $("end-button"),
    };
    this.preview = $("preview-video")
      ? new Preview({ video: $("preview-video"), placeholder: $("preview-placeholder"), meter: $("preview-level") })
      : null;
  }

  // --- pre-join --------------------------------------------------------------------------
  setUp() {
    $("join-button").addEventListener("click", () => this.join());
    $("rejoin-button").addEventListener("click", () => window.location.reload());
    window.addEventListener("pagehide", () => this.teardown());
    if (this.recording.enabled) {
      $("consent-button").addEventListener("click", () => this.setConsent(!this.recording.consented));
      this.syncConsent();
    }
    if (this.sendsMedia) this.setUpDevices();
    this.setUpControls();
    this.say("");
  }

  deviceSelects() {
    return [...document.querySelectorAll("select[data-device-kind]")];
  }

  async refreshDevices() {
    try {
      await fillDeviceSelects(this.deviceSelects(), deviceLabel);
    } catch (error) {
      console.warn("room: enumerateDevices failed", error);
    }
    const none = this.deviceSelects().every((select) => select.options.length === 0);
    if (none && navigator.mediaDevices) this.say(t("no_devices"));
  }

  setUpDevices() {
    if (!navigator.mediaDevices) {
      this.say(t("no_devices"));
      return;
    }
    this.refreshDevices();
    navigator.mediaDevices.addEventListener("devicechange", () => this.refreshDevices());
    const previewButton = $("preview-button");
    previewButton.addEventListener("click", () => this.togglePreview());
    for (const id of ["prejoin-mic", "prejoin-camera"]) {
      const button = $(id);
      button.addEventListener("click", () => setPressed(button, !isPressed(button)));
    }
    for (const select of [$("camera-select"), $("mic-select")]) {
      select.addEventListener("change", () => {
        if (this.preview && this.preview.active) this.startPreview();
      });
    }
  }

  chosenDevices(prefix) {
    return {
      videoinput: $(`${prefix}camera-select`)?.value || "",
      audioinput: $(`${prefix}mic-select`)?.value || "",
    };
  }

  async togglePreview() {
    if (this.preview.active) {
      this.preview.stop();
      setPressed($("preview-button"), false);
      return;
    }
    await this.startPreview();
  }

  async startPreview() {
    try {
      await this.preview.start(this.chosenDevices(""));
      setPressed($("preview-button"), true);
      this.say("");
      await this.refreshDevices(); // labels are known once access is granted
    } catch (error) {
      setPressed($("preview-button"), false);
      this.say(t("preview_failed", { error: errorText(error) }));
    }
  }

  // --- joining ---------------------------------------------------------------------------
  async join() {
    $("join-button").disabled = true;
    if (this.recording.enabled) {
      // the answer is stored before the socket opens, so the recorder never sees us unanswered
      const agreed = $("recording-consent").checked;
      if (agreed !== this.recording.consented && !(await this.setConsent(agreed))) {
        $("join-button").disabled = false;
        return;
      }
    }
    if (this.preview) this.preview.stop();
    this.speaker.start(); // inside the click: the AudioContext may start
    this.setPhase("room");
    this.grid.person(SELF, { name: this.config.name, role: this.config.role });
    if (this.sendsMedia) {
      const devices = this.chosenDevices("");
      this.media.deviceIds = { ...devices };
      for (const [kind, id] of Object.entries({ videoinput: "room-camera-select", audioinput: "room-mic-select" })) {
        const select = $(id);
        if (select && devices[kind]) select.value = devices[kind];
      }
      this.media.addEventListener("track", (event) => this.localTrackChanged(event.detail));
      this.media.addEventListener("screen", (event) => this.screenChanged(event.detail));
      const wanted = { mic: isPressed($("prejoin-mic")), camera: isPressed($("prejoin-camera")) };
      for (const [on, start] of [
        [wanted.mic, () => this.media.setMic(true)],
        [wanted.camera, () => this.media.setCamera(true)],
      ]) {
        if (!on) continue;
        try {
          await start();
        } catch (error) {
          // said again once in the room, or the connection messages would hide it at once
          this.mediaProblem = t("media_failed", { error: errorText(error) });
        }
      }
      this.syncControls();
      this.refreshDevices();
    }
    this.showSelf();
    this.connect();
    this.qualityTimer = setInterval(() => this.measure(), QUALITY_EVERY_MS);
  }

  connect() {
    const url = new URL(`/ws/rooms/${this.config.roomId}/`, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    if (this.config.token) url.searchParams.set("token", this.config.token);
    this.socket = new RoomSocket({
      url: url.href,
      pingSeconds: this.config.pingSeconds || 20,
      joinPayload: () => ({
        roomId: this.config.roomId,
        userInfo: { name: this.config.name, ...this.mediaState() },
      }),
      onEvent: (type, payload) => this.onEvent(type, payload),
      onPhase: (phase) => this.onSocketPhase(phase),
    });
    this.socket.connect();
  }

  setPhase(phase) {
    this.phase = phase;
    this.root.dataset.phase = phase;
    $("prejoin").hidden = phase !== "prejoin";
    $("room-stage").hidden = phase !== "room";
    $("room-ended").hidden = phase !== "ended";
    // the control that had the focus is gone: put it where a keyboard user continues
    const next =
      phase === "room"
        ? document.querySelector(".room-controls button:not([hidden]):not(:disabled)")
        : phase === "ended" && $("ended-title");
    if (next) next.focus();
  }

  say(text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  setInteractive(on) {
    if (this.chat) this.chat.setEnabled(on);
    if (this.plan) this.plan.setEnabled(on);
    if (this.workspace) this.workspace.setInteractive(on);
    if (this.controls.end) this.controls.end.disabled = !on;
  }

  onSocketPhase({ phase, seconds, code, error, attempt }) {
    if (phase === "connecting") this.say(attempt ? t("reconnecting") : t("connecting"));
    else if (phase === "joining") this.say(t("joining"));
    else if (phase === "waiting") this.say(t("reconnecting_in", { n: seconds }));
    else if (phase === "offline") this.say(t("offline"));
    else if (phase === "closed") this.closedForGood(code, error);
    if (phase !== "joined") this.setInteractive(false);
  }

  closedForGood(code, error) {
    const server = error && typeof error.message === "string" ? error.message : "";
    const messages = {
      [CLOSE_ROOM_CLOSED]: server || t("ended"),
      [CLOSE_REPLACED]: t("replaced"),
      [CLOSE_NOT_AUTHENTICATED]: server || t("not_authenticated"),
      [CLOSE_NOT_ALLOWED]: server || t("not_allowed"),
    };
    this.end(messages[code] || server || t("not_allowed"), {
      rejoin: code === CLOSE_REPLACED || code === CLOSE_NOT_ALLOWED,
    });
  }

  /** Out of the room for good (left, replaced, ended, refused): release everything. */
  end(message, { rejoin }) {
    this.teardown();
    this.setPhase("ended");
    this.say(message);
    $("room-ended-message").textContent = message;
    $("rejoin-button").hidden = !rejoin;
  }

  teardown() {
    clearInterval(this.qualityTimer);
    this.qualityTimer = null;
    if (this.socket) this.socket.close();
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    this.media.stopAll();
    this.speaker.stop();
    if (this.preview) this.preview.stop();
    if (this.workspace) this.workspace.destroy();
  }

  // --- recording consent (docs/recording.md) ----------------------------------------------
  /** Give or withdraw consent; true when the server stored it. */
  async setConsent(agreed) {
    const csrf = document.querySelector(".recording-consent input[name=csrfmiddlewaretoken]");
    const body = { consent: agreed };
    if (this.config.token) body.token = this.config.token;
    let problem = "";
    try {
      const response = await fetch(this.recording.consentUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        this.recording.consented = answer.consent === true;
        this.syncConsent();
        if (this.phase === "room") this.say(t(this.recording.consented ? "consent_given" : "consent_withdrawn"));
        return true;
      }
      problem = answer.message || String(response.status);
    } catch (error) {
      problem = errorText(error);
    }
    this.say(t("consent_failed", { error: problem }));
    return false;
  }

  syncConsent() {
    const button = $("consent-button");
    if (!button) return;
    button.textContent = t(this.recording.consented ? "consent_withdraw" : "consent_give");
    const box = $("recording-consent");
    if (box) box.checked = this.recording.consented;
  }

  setRecording(on) {
    const indicator = $("recording-indicator");
    if (!indicator || indicator.hidden === !on) return;
    indicator.hidden = !on;
    this.say(t(on ? "recording_on" : "recording_off"));
  }

  // --- events from the room socket --------------------------------------------------------
  onEvent(type, payload) {
    switch (type) {
      case "ROOM_PEERS":
        return this.onRoomPeers(payload);
      case "USER_JOINED":
        return this.onUserJoined(payload);
      case "USER_LEFT":
        return this.onUserLeft(payload);
      case "OFFER":
      case "ANSWER":
      case "ICE_CANDIDATE":
        return this.onSignal(type, payload);
      case "MEDIA_STATE":
        return this.onMediaState(payload);
      case "RECORDING_STATE":
        return this.setRecording(payload.recording === true);
      case "push_question":
        return this.card.show(payload.questionText, this.nameOf(payload.fromId));
      case "CHAT":
        return this.chat && this.chat.add(payload);
      case "CHAT_HISTORY":
        if (this.chat && Array.isArray(payload.messages)) for (const message of payload.messages) this.chat.add(message);
        return undefined;
      case "EDITOR_STATE":
        return this.workspace && this.workspace.editorState(payload);
      case "LANGUAGE_GUESS":
        return this.workspace && this.workspace.languageGuess(payload);
      case "RUN_STARTED":
      case "RUN_OUTPUT":
      case "RUN_FINISHED":
      case "RUN_TESTS_RESULT":
      case "RUN_HISTORY":
        return this.workspace && this.workspace.runEvent(type, payload);
      case "ERROR":
        return this.onError(payload);
      default:
        return undefined;
    }
  }

  onRoomPeers({ selfId, peers }) {
    this.selfId = selfId;
    // a (re)join: connections from before are stale, the newcomer offers to everyone again
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    this.setRecording(false); // RECORDING_STATE follows if the recorder is here
    for (const peer of Array.isArray(peers) ? peers : []) {
      this.addPeer(peer.userId, peer.userInfo);
      if (this.video) this.linkTo(peer.userId).start();
    }
    this.sendMediaState();
    this.setInteractive(true);
    if (this.workspace) this.workspace.joined();
    const names = [...this.peers.values()].filter((p) => !p.hidden).map((p) => p.info.name);
    const presence = names.length ? t("with_others", { names: names.join(", ") }) : t("alone");
    this.say(this.mediaProblem ? `${presence} ${this.mediaProblem}` : presence);
    this.mediaProblem = "";
  }

  onUserJoined({ userId, userInfo }) {
    if (!userId || userId === this.selfId) return;
    const known = this.peers.get(userId);
    if (known && known.link && known.link.awaitingFirstAnswer()) {
      // Two people joined at the same moment: the server listed this peer in our ROOM_PEERS
      // and announces the same session again. We are the newcomer for it: keep our offer.
      return;
    }
    if (known) this.dropPeer(userId); // a new session of the same person (they reconnected)
    const peer = this.addPeer(userId, userInfo);
    this.sendMediaState(); // the newcomer only knows what we tell it
    if (!peer.hidden) this.say(t("peer_joined", { name: peer.info.name }));
  }

  onUserLeft({ userId }) {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.dropPeer(userId);
    if (!peer.hidden) this.say(t("peer_left", { name: peer.info.name }));
  }

  onSignal(type, payload) {
    const from = payload.fromId;
    if (!this.video || typeof from !== "string") return;
    let peer = this.peers.get(from);
    if (!peer) peer = this.addPeer(from, {});
    if (!peer.link) {
      if (type !== "OFFER") return; // nothing to apply it to: an old session's leftovers
      this.linkTo(from);
    }
    peer.link.receive(type, payload);
  }

  onMediaState(payload) {
    const peer = this.peers.get(payload.fromId);
    if (!peer) return;
    peer.media = { audio: payload.audio === true, video: payload.video === true, screen: payload.screen === true };
    this.grid.setMedia(payload.fromId, peer.media);
    if (!peer.media.screen) this.grid.removeScreensOf(payload.fromId);
  }

  onError({ code, message }) {
    if (code === "invalid_target") return; // a peer left while we were still signalling to it
    if (this.workspace && typeof message === "string") this.workspace.runRefused(code, message);
    if (typeof message === "string" && message) this.say(message);
  }

  // --- peers -----------------------------------------------------------------------------
  addPeer(id, info) {
    const known = info && typeof info === "object" ? info : {};
    const role = ["interviewer", "candidate", "observer", RECORDER].includes(known.role) ? known.role : "observer";
    const peer = {
      info: { name: typeof known.name === "string" && known.name ? known.name : t("former_participant"), role },
      link: null,
      stream: new MediaStream(),
      media: { audio: known.audio === true, video: known.video === true, screen: false },
      hidden: role === RECORDER,
    };
    this.peers.set(id, peer);
    if (peer.hidden) return peer; // it gets our media; the Recording sign stands for it
    this.grid.person(id, peer.info);
    this.grid.setMedia(id, peer.media);
    this.updatePeople();
    return peer;
  }

  dropPeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    if (peer.link) peer.link.close();
    this.peers.delete(id);
    this.speaker.remove(id);
    this.grid.remove(id);
    this.updatePeople();
  }

  updatePeople() {
    if (this.chat) {
      const people = [...this.peers].filter(([, peer]) => !peer.hidden);
      this.chat.setPeople(people.map(([id, peer]) => ({ id, name: peer.info.name })));
    }
  }

  nameOf(id) {
    if (id && id === this.selfId) return this.config.name;
    const peer = this.peers.get(id);
    return peer ? peer.info.name : t("former_participant");
  }

  linkTo(peerId) {
    const peer = this.peers.get(peerId);
    const link = new PeerLink({
      selfId: this.selfId,
      peerId,
      iceServers: this.config.iceServers,
      sendMedia: this.sendsMedia,
      send: (type, payload) => (this.socket ? this.socket.send(type, payload) : false),
      local: () => ({ audio: this.media.audio, video: this.media.video, screen: this.media.screen }),
      onTrack: (track) => {
        if (peer.hidden) return;
        for (const old of peer.stream.getTracks()) if (old.kind === track.kind && old !== track) peer.stream.removeTrack(old);
        if (!peer.stream.getTracks().includes(track)) peer.stream.addTrack(track);
        this.grid.setStream(peerId, peer.stream);
        if (track.kind === "audio") this.speaker.add(peerId, track);
      },
      onScreen: (key, stream) => {
        this.grid.addScreen(`${peerId}:${key}`, { name: t("screen_of", { name: peer.info.name }), stream });
      },
      onScreenEnded: (key) => this.grid.removeScreen(`${peerId}:${key}`),
      onState: (state) => {
        if (state === "failed") this.say(t("peer_reconnecting", { name: peer.info.name }));
      },
    });
    peer.link = link;
    return link;
  }

  async measure() {
    for (const [id, peer] of this.peers) {
      if (!peer.link) continue;
      try {
        const sample = await peer.link.sample();
        if (sample) this.grid.setQuality(id, qualityLevel(sample), sample);
      } catch {
        // a connection closing while it is measured
      }
    }
  }

  blockedSound() {
    if (this.soundBlocked) return;
    this.soundBlocked = true;
    this.say(t("sound_blocked"));
    document.addEventListener(
      "click",
      () => {
        this.soundBlocked = false;
        this.grid.resume();
        this.say("");
      },
      { once: true },
    );
  }

  // --- our own media ---------------------------------------------------------------------
  mediaState() {
    return {
      audio: Boolean(this.media.micOn && this.media.audio),
      video: Boolean(this.media.cameraOn && this.media.video),
      screen: Boolean(this.media.screen),
    };
  }

  sendMediaState() {
    const state = this.mediaState();
    this.grid.setMedia(SELF, state);
    if (this.video && this.socket) this.socket.send("MEDIA_STATE", state);
  }

  showSelf() {
    const stream = new MediaStream(this.media.video ? [this.media.video] : []);
    this.grid.setStream(SELF, stream);
    this.grid.setMedia(SELF, this.mediaState());
  }

  localTrackChanged({ kind, track }) {
    for (const peer of this.peers.values()) if (peer.link) peer.link.setLocalTrack(kind, track);
    if (kind === "video") this.showSelf();
    if (kind === "audio" && track) this.speaker.add(SELF, track);
  }

  screenChanged(screen) {
    for (const peer of this.peers.values()) {
      if (peer.link) peer.link.setScreen(screen ? screen.track : null, screen ? screen.stream : null);
    }
    if (screen) this.grid.addScreen(`${SELF}:screen`, { name: t("your_screen"), stream: screen.stream });
    else this.grid.removeScreen(`${SELF}:screen`);
    this.syncControls();
    this.sendMediaState();
  }

  syncControls() {
    setPressed(this.controls.mic, this.media.micOn && this.media.audio);
    setPressed(this.controls.camera, this.media.cameraOn && this.media.video);
    setPressed(this.controls.screen, this.media.screen);
  }

  setUpControls() {
    const { mic, camera, screen, leave, end } = this.controls;
    if (mic) {
      mic.addEventListener("click", () =>
        this.toggle(() => this.media.setMic(!(this.media.micOn && this.media.audio))),
      );
    }
    if (camera) {
      camera.addEventListener("click", () =>
        this.toggle(() => this.media.setCamera(!(this.media.cameraOn && this.media.video))),
      );
    }
    if (screen) {
      if (!screenShareSupported()) screen.hidden = true;
      screen.addEventListener("click", async () => {
        if (this.media.screen) {
          this.media.stopScreen();
          return;
        }
        try {
          await this.media.startScreen();
        } catch (error) {
          this.say(t("screen_failed", { error: errorText(error) }));
          this.syncControls();
        }
      });
    }
    for (const button of document.querySelectorAll("button[data-processing]")) {
      button.addEventListener("click", async () => {
        const on = !isPressed(button);
        setPressed(button, on);
        try {
          await this.media.setProcessing(button.dataset.processing, on);
        } catch (error) {
          this.say(t("media_failed", { error: errorText(error) }));
        }
      });
    }
    for (const [id, kind] of [
      ["room-camera-select", "videoinput"],
      ["room-mic-select", "audioinput"],
    ]) {
      const select = $(id);
      if (!select) continue;
      select.addEventListener("change", async () => {
        try {
          await this.media.setDevice(kind, select.value);
        } catch (error) {
          this.say(t("media_failed", { error: errorText(error) }));
        }
      });
    }
    const settings = document.querySelector(".media-settings");
    if (settings) {
      // a disclosure that floats over the call: Escape or a click elsewhere closes it
      settings.addEventListener("keydown", (event) => {
        if (event.key !== "Escape" || !settings.open) return;
        settings.open = false;
        settings.querySelector("summary").focus();
      });
      document.addEventListener("click", (event) => {
        if (settings.open && !settings.contains(event.target)) settings.open = false;
      });
    }
    leave.addEventListener("click", () => this.end(t("left"), { rejoin: true }));
    if (end) {
      const dialog = $("end-dialog");
      end.addEventListener("click", () => dialog.showModal());
      dialog.addEventListener("close", () => {
        if (dialog.returnValue === "end" && this.socket) this.socket.send("END_INTERVIEW", {});
        dialog.returnValue = "";
      });
    }
  }

  async toggle(change) {
    try {
      await change();
    } catch (error) {
      this.say(t("media_failed", { error: errorText(error) }));
    }
    this.syncControls();
    this.sendMediaState();
  }
}

function main() {
  const configElement = $("room-config");
  if (!configElement) return;
  loadStrings($("room-i18n"));
  const room = new Room(JSON.parse(configElement.textContent));
  room.setUp();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
