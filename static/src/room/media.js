// Our own microphone, camera and screen. Nothing is captured before the user asks for it: the
// microphone on its first unmute, the camera when it is turned on (and released when turned
// off, so its light goes out), the screen when sharing starts.

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.audio = null;
    this.video = null;
    this.screen = null; // {track, stream}
    this.micOn = false;
    this.cameraOn = false;
    this.deviceIds = { audioinput: "", videoinput: "" };
    this.processing = { noiseSuppression: true, echoCancellation: true, autoGainControl: true };
  }

  audioConstraints() {
    const constraints = { ...this.processing };
    if (this.deviceIds.audioinput) constraints.deviceId = { exact: this.deviceIds.audioinput };
    return constraints;
  }

  videoConstraints() {
    const constraints = { width: { ideal: 1280 }, height: { ideal: 720 } };
    if (this.deviceIds.videoinput) constraints.deviceId = { exact: this.deviceIds.videoinput };
    return constraints;
  }

  changed(kind, track) {
    this.dispatchEvent(new CustomEvent("track", { detail: { kind, track } }));
  }

  async setMic(on) {
    if (on && !this.audio) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints() });
      this.audio = stream.getAudioTracks()[0];
      this.changed("audio", this.audio);
    }
    this.micOn = on;
    if (this.audio) this.audio.enabled = on;
  }

  async setCamera(on) {
    if (on && !this.video) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: this.videoConstraints() });
      this.video = stream.getVideoTracks()[0];
      this.changed("video", this.video);
    } else if (!on && this.video) {
      this.video.stop();
      this.video = null;
      this.changed("video", null);
    }
    this.cameraOn = on;
  }

  /** Switch to another microphone or camera; a live track is replaced at once. */
  async setDevice(kind, deviceId) {
    this.deviceIds[kind] = deviceId;
    if (kind === "audioinput" && this.audio) await this.reacquireAudio();
    if (kind === "videoinput" && this.video) {
      const old = this.video;
      const stream = await navigator.mediaDevices.getUserMedia({ video: this.videoConstraints() });
      this.video = stream.getVideoTracks()[0];
      this.changed("video", this.video);
      old.stop();
    }
  }

  /** Noise suppression, echo cancellation, auto gain: applied live, else by re-acquiring. */
  async setProcessing(key, value) {
    this.processing[key] = value;
    if (!this.audio) return;
    try {
      await this.audio.applyConstraints(this.audioConstraints());
    } catch {
      // some browsers refuse to change processing on a live track: re-acquire below
    }
    const applied = this.audio.getSettings()[key];
    if (applied !== undefined && applied !== value) await this.reacquireAudio();
  }

  async reacquireAudio() {
    const old = this.audio;
    // one capture per device at a time: some browsers keep the old processing while it is open
    old.stop();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints() });
    this.audio = stream.getAudioTracks()[0];
    this.audio.enabled = this.micOn;
    this.changed("audio", this.audio);
  }

  async startScreen() {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    if ("contentHint" in track) track.contentHint = "detail";
    track.addEventListener("ended", () => this.stopScreen()); // the browser's own "Stop sharing"
    this.screen = { track, stream };
    this.dispatchEvent(new CustomEvent("screen", { detail: this.screen }));
  }

  stopScreen() {
    if (!this.screen) return;
    this.screen.track.stop();
    this.screen = null;
    this.dispatchEvent(new CustomEvent("screen", { detail: null }));
  }

  stopAll() {
    this.stopScreen();
    for (const track of [this.audio, this.video]) if (track) track.stop();
    this.audio = null;
    this.video = null;
  }
}

export function screenShareSupported() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}

/** Fill <select data-device-kind> elements from enumerateDevices, keeping each one's choice. */
export async function fillDeviceSelects(selects, label) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const select of selects) {
    const kind = select.dataset.deviceKind;
    const chosen = select.value;
    const list = devices.filter((d) => d.kind === kind);
    select.replaceChildren(
      ...list.map((device, index) => new Option(device.label || label(kind, index + 1), device.deviceId)),
    );
    if (list.some((d) => d.deviceId === chosen)) select.value = chosen;
    select.disabled = list.length === 0;
  }
}

/** The pre-join preview: camera picture and microphone level, only after the user asks. */
export class Preview {
  constructor({ video, placeholder, meter }) {
    this.video = video;
    this.placeholder = placeholder;
    this.meter = meter;
    this.stream = null;
    this.context = null;
    this.timer = null;
  }

  get active() {
    return this.stream !== null;
  }

  async start(deviceIds) {
    this.stop();
    const audio = deviceIds.audioinput ? { deviceId: { exact: deviceIds.audioinput } } : true;
    const video = deviceIds.videoinput ? { deviceId: { exact: deviceIds.videoinput } } : true;
    let stream = null;
    let lastError = null;
    for (const constraints of [{ audio, video }, { video }, { audio }]) {
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (!stream) throw lastError;
    this.stream = stream;
    if (stream.getVideoTracks().length) {
      this.video.srcObject = stream;
      this.placeholder.hidden = true;
      this.video.play().catch(() => {});
    }
    const [track] = stream.getAudioTracks();
    const Context = window.AudioContext || window.webkitAudioContext;
    if (track && Context && this.meter) {
      this.context = new Context();
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 512;
      this.context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      const data = new Float32Array(analyser.fftSize);
      this.timer = setInterval(() => {
        analyser.getFloatTimeDomainData(data);
        let sum = 0;
        for (const value of data) sum += value * value;
        this.meter.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
      }, 100);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.placeholder.hidden = false;
    if (this.meter) this.meter.value = 0;
  }
}
