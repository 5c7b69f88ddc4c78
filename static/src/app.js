// Small progressive enhancements shared by every server-rendered page (no inline scripts: CSP).
import { enhanceAutosubmit, applyBrandColour } from "./enhance.js";
import { enhanceBell } from "./notifications.js";

document.addEventListener("DOMContentLoaded", () => {
  enhanceAutosubmit(document);
  applyBrandColour(document);
  enhanceBell(document);
});
