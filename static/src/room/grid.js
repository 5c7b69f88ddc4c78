// The people in the room: a tile each (video, name, role, microphone/camera state, speaking,
// connection quality) and a tile per screen share. Built with DOM calls and textContent only.
import { t } from "./i18n.js";

const SELF = "self";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return parts.length ? (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase() : "?";
}

export class PeopleGrid {
  /**
   * @param {HTMLElement} root
   * @param {{video: boolean, onBlockedSound: () => void}} options
   */
  constructor(root, { video, onBlockedSound }) {
    this.root = root;
    this.video = video;
    this.onBlockedSound = onBlockedSound;
    this.tiles = new Map();
    this.screens = new Map();
  }

  /** The tile of a person (created on first use); id "self" is our own. */
  person(id, { name, role }) {
    let tile = this.tiles.get(id);
    if (!tile) {
      tile = this.build(id);
      this.tiles.set(id, tile);
      if (id === SELF) this.root.prepend(tile.root);
      else this.root.append(tile.root);
      this.layout();
    }
    tile.observer = role === "observer"; // watches only: no microphone or camera to speak of
    tile.name.textContent = id === SELF ? t("you_name", { name }) : name;
    tile.role.textContent = t(`role_${role}`);
    tile.avatar.textContent = initials(name);
    tile.root.setAttribute("aria-label", tile.name.textContent);
    this.setBadges(tile, tile.state || { audio: false, video: false, screen: false });
    return tile;
  }

  build(id) {
    const root = element("figure", "tile");
    root.dataset.peerId = id;
    if (id === SELF) root.classList.add("tile-self");
    const stage = element("div", "tile-media");
    let video = null;
    if (this.video) {
      video = element("video");
      video.autoplay = true;
      video.playsInline = true;
      if (id === SELF) video.muted = true; // never play our own microphone back
      stage.append(video);
    }
    const avatar = element("div", "tile-avatar");
    avatar.setAttribute("aria-hidden", "true");
    stage.append(avatar);
    const caption = element("figcaption", "tile-caption");
    const who = element("span", "tile-who");
    const name = element("span", "tile-name");
    const role = element("span", "tile-role");
    who.append(name, " ", role);
    const badges = element("span", "tile-badges");
    const micOff = element("span", "badge badge-off", t("mic_off"));
    const cameraOff = element("span", "badge badge-off", t("camera_off"));
    const sharing = element("span", "badge", t("sharing"));
    const watching = element("span", "badge", t("watching"));
    const speaking = element("span", "badge badge-speaking", t("speaking"));
    const quality = element("span", "badge badge-quality");
    for (const badge of [micOff, cameraOff, sharing, watching, speaking, quality]) badge.hidden = true;
    badges.append(watching, micOff, cameraOff, sharing, speaking, quality);
    caption.append(who, badges);
    root.append(stage, caption);
    root.classList.toggle("camera-off", true);
    const tile = { root, video, avatar, name, role, micOff, cameraOff, sharing, watching, speaking, quality };
    this.setBadges(tile, { audio: false, video: false, screen: false });
    return tile;
  }

  setStream(id, stream) {
    const tile = this.tiles.get(id);
    if (!tile || !tile.video) return;
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    this.play(tile.video);
  }

  play(video) {
    const attempt = video.play();
    if (attempt) {
      attempt.catch((error) => {
        if (error && error.name === "NotAllowedError") this.onBlockedSound();
      });
    }
  }

  /** Start every video again (after a click, when the browser blocked sound before). */
  resume() {
    for (const tile of this.tiles.values()) if (tile.video && tile.video.srcObject) this.play(tile.video);
    for (const screen of this.screens.values()) this.play(screen.video);
  }

  setMedia(id, state) {
    const tile = this.tiles.get(id);
    if (tile) this.setBadges(tile, state);
  }

  setBadges(tile, state) {
    const { audio, video, screen } = state;
    tile.state = state;
    // without the video tool there is no audio or video at all: nothing to say about them
    tile.micOff.hidden = !this.video || Boolean(audio) || Boolean(tile.observer);
    tile.cameraOff.hidden = !this.video || Boolean(video) || Boolean(tile.observer);
    tile.watching.hidden = !this.video || !tile.observer;
    tile.sharing.hidden = !screen;
    tile.root.classList.toggle("camera-off", !video);
  }

  setSpeaking(id) {
    for (const [tileId, tile] of this.tiles) {
      const speaking = tileId === id;
      tile.root.classList.toggle("speaking", speaking);
      tile.speaking.hidden = !speaking;
    }
  }

  setQuality(id, level, sample) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.quality.hidden = false;
    tile.quality.dataset.level = level;
    tile.quality.textContent = t(`quality_${level}`);
    if (sample && sample.rtt !== null && sample.loss !== null && sample.kbps !== null) {
      const detail = t("quality_detail", {
        rtt: Math.round(sample.rtt * 1000),
        loss: (sample.loss * 100).toFixed(1),
        rate: Math.round(sample.kbps),
      });
      tile.quality.append(" ", element("span", "quality-detail", detail));
      tile.quality.title = detail; // the detail is hidden on small tiles
    }
  }

  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    if (tile.video) tile.video.srcObject = null;
    tile.root.remove();
    this.tiles.delete(id);
    for (const key of [...this.screens.keys()]) if (key.startsWith(`${id}:`)) this.removeScreen(key);
    this.layout();
  }

  ids() {
    return [...this.tiles.keys()];
  }

  /** A screen share; key is "<peer id>:<line>" or "self:screen". */
  addScreen(key, { name, stream }) {
    this.removeScreen(key);
    const root = element("figure", "tile tile-screen");
    root.dataset.screen = key;
    const stage = element("div", "tile-media");
    const video = element("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    video.srcObject = stream;
    stage.append(video);
    const caption = element("figcaption", "tile-caption", name);
    root.append(stage, caption);
    root.setAttribute("aria-label", name);
    this.root.prepend(root);
    this.screens.set(key, { root, video });
    this.play(video);
    this.layout();
  }

  removeScreen(key) {
    const screen = this.screens.get(key);
    if (!screen) return;
    screen.video.srcObject = null;
    screen.root.remove();
    this.screens.delete(key);
    this.layout();
  }

  removeScreensOf(id) {
    for (const key of [...this.screens.keys()]) if (key.startsWith(`${id}:`)) this.removeScreen(key);
  }

  layout() {
    this.root.dataset.count = String(this.tiles.size + this.screens.size);
    this.root.classList.toggle("has-screen", this.screens.size > 0);
  }
}
