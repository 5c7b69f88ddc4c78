// One RTCPeerConnection per remote peer (a P2P mesh).
//
// The first negotiation follows the room's rule: the newcomer (who got ROOM_PEERS) offers to
// every peer already there, and those answer. Later renegotiations (a screen share added or
// removed, an ICE restart) may start on either side at the same time, so they use the "perfect
// negotiation" pattern of the WebRTC spec: on an offer collision the polite peer (the smaller
// peer id) rolls back and answers, the impolite one ignores the other's offer.
//
// Layout of the m-lines: the first audio and the first video transceiver carry the microphone
// and the camera; any further video transceiver carries a screen share. Both sides see the
// transceivers in the same order, so nothing else has to say which video is the screen.

export class PeerLink {
  /**
   * @param {object} o
   * @param {string} o.selfId
   * @param {string} o.peerId
   * @param {RTCIceServer[]} o.iceServers
   * @param {boolean} o.sendMedia false for observers: receive only
   * @param {(type: string, payload: object) => boolean} o.send
   * @param {() => {audio: MediaStreamTrack|null, video: MediaStreamTrack|null, screen: {track, stream}|null}} o.local
   * @param {(track: MediaStreamTrack) => void} o.onTrack the peer's microphone or camera
   * @param {(key: string, stream: MediaStream) => void} o.onScreen
   * @param {(key: string) => void} o.onScreenEnded
   * @param {(state: string) => void} o.onState
   */
  constructor(o) {
    this.peerId = o.peerId;
    this.polite = o.selfId < o.peerId;
    this.send = o.send;
    this.local = o.local;
    this.sendMedia = o.sendMedia;
    this.onTrack = o.onTrack;
    this.onScreen = o.onScreen;
    this.onScreenEnded = o.onScreenEnded;
    this.onState = o.onState;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.attached = false; // our microphone/camera are on the transceivers
    this.screenTx = null; // the transceiver our screen share goes out on
    this.remoteScreens = new Map(); // transceiver → key, for the peer's screen shares
    this.inbox = Promise.resolve();
    this.closed = false;
    this.previous = null;

    const pc = new RTCPeerConnection({ iceServers: o.iceServers || [] });
    this.pc = pc;
    pc.addEventListener("negotiationneeded", () => this.negotiate());
    pc.addEventListener("icecandidate", ({ candidate }) => {
      this.send("ICE_CANDIDATE", { candidate: candidate ? candidate.toJSON() : null, targetId: this.peerId });
    });
    pc.addEventListener("track", (event) => this.track(event));
    pc.addEventListener("signalingstatechange", () => {
      if (pc.signalingState === "stable") this.checkScreens();
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.closed) return;
      if (pc.connectionState === "failed") pc.restartIce(); // fires negotiationneeded: a new offer
      this.onState(pc.connectionState);
    });
  }

  /** The newcomer's side: offer a microphone and a camera line (and a screen if sharing). */
  start() {
    this.offerer = true;
    const direction = this.sendMedia ? "sendrecv" : "recvonly";
    const { audio, video, screen } = this.local();
    this.pc.addTransceiver((this.sendMedia && audio) || "audio", { direction });
    this.pc.addTransceiver((this.sendMedia && video) || "video", { direction });
    this.attached = true;
    if (screen) this.setScreen(screen.track, screen.stream);
  }

  /** We offered first and no answer came back yet: the call is still being set up. */
  awaitingFirstAnswer() {
    return Boolean(this.offerer) && !this.pc.currentRemoteDescription;
  }

  /** OFFER, ANSWER and ICE_CANDIDATE from the peer, handled one after the other. */
  receive(type, payload) {
    this.inbox = this.inbox
      .then(() => this.handle(type, payload))
      .catch((error) => console.warn(`room: ${type} from ${this.peerId} failed`, error));
  }

  async handle(type, payload) {
    if (this.closed) return;
    const pc = this.pc;
    if (type === "ICE_CANDIDATE") {
      if (!payload.candidate) return; // end of candidates
      try {
        await pc.addIceCandidate(payload.candidate);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
      return;
    }
    const description = payload.sdp;
    if (!description || typeof description.type !== "string") return;
    const readyForOffer = !this.makingOffer && (pc.signalingState === "stable" || this.settingRemoteAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    this.settingRemoteAnswer = description.type === "answer";
    try {
      await pc.setRemoteDescription(description); // the polite side rolls back implicitly
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (description.type !== "offer") return;
    const first = !this.attached;
    if (first) await this.attach();
    await pc.setLocalDescription();
    this.send("ANSWER", { sdp: pc.localDescription.toJSON(), targetId: this.peerId });
    const { screen } = this.local();
    if (first && screen) await this.setScreen(screen.track, screen.stream); // renegotiates
  }

  /** The answering side puts its microphone and camera on the lines the newcomer offered. */
  async attach() {
    this.attached = true;
    if (!this.sendMedia) return;
    const local = this.local();
    for (const kind of ["audio", "video"]) {
      const transceiver = this.mainTransceiver(kind);
      if (!transceiver) continue;
      transceiver.direction = "sendrecv";
      if (local[kind]) await transceiver.sender.replaceTrack(local[kind]);
    }
  }

  async negotiate() {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send("OFFER", { sdp: this.pc.localDescription.toJSON(), targetId: this.peerId });
    } catch (error) {
      console.warn(`room: offer to ${this.peerId} failed`, error);
    } finally {
      this.makingOffer = false;
    }
  }

  mainTransceiver(kind) {
    return this.pc
      .getTransceivers()
      .find((t) => t.receiver.track.kind === kind && t.currentDirection !== "stopped");
  }

  /** Our microphone or camera changed (on, off, another device): no renegotiation needed. */
  async setLocalTrack(kind, track) {
    if (!this.sendMedia || !this.attached || this.closed) return;
    const transceiver = this.mainTransceiver(kind);
    if (transceiver) await transceiver.sender.replaceTrack(track);
  }

  /** Start (track) or stop (null) sending our screen: adds or reuses a video line, renegotiates. */
  async setScreen(track, stream) {
    if (!this.attached || this.closed) return;
    if (track) {
      if (this.screenTx && this.screenTx.currentDirection !== "stopped") {
        await this.screenTx.sender.replaceTrack(track);
        this.screenTx.sender.setStreams(stream);
        this.screenTx.direction = "sendrecv";
      } else {
        const sender = this.pc.addTrack(track, stream);
        this.screenTx = this.pc.getTransceivers().find((t) => t.sender === sender) || null;
      }
    } else if (this.screenTx) {
      await this.screenTx.sender.replaceTrack(null);
      this.screenTx.direction = "recvonly"; // we may still receive the peer's screen on it
    }
  }

  track(event) {
    const { track, transceiver } = event;
    if (track.kind === "audio" || transceiver === this.mainTransceiver("video")) {
      this.onTrack(track);
      return;
    }
    const key = transceiver.mid || String(this.remoteScreens.size);
    this.remoteScreens.set(transceiver, key);
    this.onScreen(key, event.streams[0] || new MediaStream([track]));
  }

  /** After each negotiation: a screen line the peer no longer sends on is a share that ended. */
  checkScreens() {
    for (const [transceiver, key] of this.remoteScreens) {
      const receiving = transceiver.currentDirection === "recvonly" || transceiver.currentDirection === "sendrecv";
      if (!receiving) {
        this.remoteScreens.delete(transceiver);
        this.onScreenEnded(key);
      }
    }
  }

  /** Round-trip time (s), packet loss (0–1) and received bitrate (kbit/s) since the last sample. */
  async sample() {
    if (this.closed) return null;
    const report = await this.pc.getStats();
    const pairs = new Map();
    let selected = null;
    let bytes = 0;
    let lost = 0;
    let packets = 0;
    report.forEach((s) => {
      if (s.type === "candidate-pair") pairs.set(s.id, s);
      else if (s.type === "transport" && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
      else if (s.type === "inbound-rtp") {
        bytes += s.bytesReceived || 0;
        lost += Math.max(0, s.packetsLost || 0);
        packets += s.packetsReceived || 0;
      }
    });
    let pair = selected ? pairs.get(selected) : null;
    if (!pair) pair = [...pairs.values()].find((p) => p.nominated && p.state === "succeeded");
    const rtt = pair && typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null;
    const now = performance.now();
    const previous = this.previous;
    this.previous = { now, bytes, lost, packets };
    if (!previous || now <= previous.now) return { rtt, loss: null, kbps: null };
    const lostNow = Math.max(0, lost - previous.lost);
    const receivedNow = Math.max(0, packets - previous.packets);
    return {
      rtt,
      loss: lostNow + receivedNow > 0 ? lostNow / (lostNow + receivedNow) : 0,
      kbps: (Math.max(0, bytes - previous.bytes) * 8) / (now - previous.now), // bits per ms = kbit/s
    };
  }

  close() {
    this.closed = true;
    this.pc.close();
  }
}

/** "good", "fair", "poor" or "unknown" from a sample (thresholds of common call-quality meters). */
export function qualityLevel(sample) {
  if (!sample || (sample.rtt === null && sample.loss === null)) return "unknown";
  const rtt = sample.rtt ?? 0;
  const loss = sample.loss ?? 0;
  if (rtt > 0.6 || loss > 0.08) return "poor";
  if (rtt > 0.3 || loss > 0.02) return "fair";
  return "good";
}
