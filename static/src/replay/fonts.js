// Excalidraw names two sources for each of its font faces: our copy (EXCALIDRAW_ASSET_PATH) and
// a CDN fallback. Chrome checks every source against the page's CSP as soon as the FontFace is
// made, so the fallback, never used, would log a font-src violation per face. The room's board
// solves this inside static/src/room/whiteboard.js (not exported); until that becomes a shared
// module, the replay applies the same rule here: only sources on this origin (or data:) are kept.
const SOURCE = /url\(\s*["']?([^"')\s]+)/;

function ours(source) {
  const found = SOURCE.exec(source);
  if (!found) return true; // local(...)
  try {
    const url = new URL(found[1], window.location.href);
    return url.protocol === "data:" || url.origin === window.location.origin;
  } catch {
    return false;
  }
}

export function fontsFromOurOriginOnly() {
  const Original = window.FontFace;
  if (!Original || Original.replayOwnOrigin || Original.ourOriginOnly) return;
  class OwnOriginFontFace extends Original {
    constructor(family, source, descriptors) {
      let kept = source;
      if (typeof source === "string") {
        const parts = source.split(/,(?=\s*(?:url|local)\()/).filter(ours);
        if (parts.length) kept = parts.join(",");
      }
      super(family, kept, descriptors);
    }
  }
  OwnOriginFontFace.replayOwnOrigin = true;
  window.FontFace = OwnOriginFontFace;
}
