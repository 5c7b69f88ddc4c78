// The playback's user-facing strings come the same way as the room's (a json_script dict
// translated by Django: interviews.views.playback_strings), so the room's helpers serve both.
export { loadStrings, t } from "../room/i18n.js";

/** "4:05" or "1:02:03": a span of milliseconds as a clock reads it. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
