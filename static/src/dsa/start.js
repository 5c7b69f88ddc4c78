// The start screen: nothing starts the clock but the candidate pressing Start (a GET never does,
// so mail scanners and link previews cannot burn the candidate's time). After the start the page
// reloads and the server sends the statement and the editor.
import { postJson } from "./http.js";
import { CONSENTED_KEY } from "./consent.js";

const config = JSON.parse(document.getElementById("dsa-config").textContent);
const strings = JSON.parse(document.getElementById("dsa-i18n").textContent);
const button = document.getElementById("dsa-start-button");
const status = document.getElementById("dsa-start-status");

async function start() {
  button.disabled = true;
  status.textContent = strings.starting;
  try {
    const { response, data } = await postJson(config.urls.start, {});
    if (!response.ok && response.status !== 410) {
      status.textContent = data.error || strings.network_error;
      button.disabled = false;
      return;
    }
    if (response.ok && config.proctoring.enabled) {
      // Pressing Start on a proctored assessment is the consent: record it, and tell the next page
      // to turn the camera on without asking again.
      try {
        await postJson(config.urls.consent, {});
        window.sessionStorage.setItem(CONSENTED_KEY(config.urls.page), "1");
      } catch {
        // the next page asks again
      }
    }
  } catch {
    status.textContent = strings.network_error;
    button.disabled = false;
    return;
  }
  window.location.reload();
}

if (button) button.addEventListener("click", start);
