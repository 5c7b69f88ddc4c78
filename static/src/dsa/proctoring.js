// Webcam snapshots for a proctored assessment: a JPEG every N seconds, uploaded to the server
// only (never to another browser), while a visible indicator says the camera is on.

const JPEG_QUALITY = 0.7;
const WIDTH = 320;

export class Proctoring {
  constructor({ url, intervalSeconds, video, indicator, indicatorText, t, onDenied, onEnded }) {
    Object.assign(this, { url, intervalSeconds, video, indicator, indicatorText, t, onDenied, onEnded });
    this.stream = null;
    this.timer = null;
    this.canvas = document.createElement("canvas");
  }

  async start() {
    this.indicator.hidden = false;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (error) {
      this.indicator.dataset.state = "failed";
      this.indicatorText.textContent = this.t("camera_failed", { error: error && error.name ? error.name : String(error) });
      this.onDenied();
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    this.indicator.dataset.state = "on";
    this.indicatorText.textContent = this.t("camera_on", { n: this.intervalSeconds });
    for (const track of this.stream.getVideoTracks()) {
      track.addEventListener("ended", () => {
        this.indicator.dataset.state = "failed";
        this.indicatorText.textContent = this.t("camera_failed", { error: "ended" });
        this.onDenied();
      });
    }
    // the first frame as soon as the camera gives one, then on the interval
    this.timer = window.setTimeout(() => {
      this.snap();
      if (this.stream) this.timer = window.setInterval(() => this.snap(), this.intervalSeconds * 1000);
    }, 1000);
  }

  async snap() {
    if (!this.stream || !this.video.videoWidth) return;
    const height = Math.round((this.video.videoHeight / this.video.videoWidth) * WIDTH);
    this.canvas.width = WIDTH;
    this.canvas.height = height;
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, WIDTH, height);
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    if (!blob) return;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "image/jpeg" },
        body: blob,
        credentials: "omit",
        cache: "no-store",
      });
      if (response.status === 410) {
        this.stop();
        this.onEnded();
        return;
      }
      if (response.ok) {
        this.indicator.dataset.lastSnapshot = new Date().toISOString();
        this.indicator.title = this.t("snapshot_sent", { time: new Date().toLocaleTimeString() });
      }
    } catch {
      // offline for a moment: the next snapshot tries again
    }
  }

  stop() {
    window.clearInterval(this.timer);
    window.clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    if (this.indicator) {
      this.indicator.dataset.state = "off";
      this.indicator.hidden = true;
    }
  }
}
