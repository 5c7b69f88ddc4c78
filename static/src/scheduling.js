// The self-scheduling page: show times in the candidate's own zone from the first visit.
// The server renders in the zone named by ?tz= (else the link's or the organization's). On a
// visit without ?tz= the browser's zone is put in the URL once, so the server renders the slots
// in it; afterwards the candidate's own choice in the select wins. Without JavaScript the page
// still works: the select and its button change the zone (app.js submits it on change).
function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("self-schedule");
  if (!root) return;
  const params = new URLSearchParams(window.location.search);
  const detected = browserZone();
  if (!params.has("tz") && root.dataset.zoneExplicit !== "1" && detected && detected !== root.dataset.zone) {
    const select = document.getElementById("zone-select");
    const known = select && Array.from(select.options).some((o) => o.value === detected);
    if (known) {
      params.set("tz", detected);
      window.location.replace(`${window.location.pathname}?${params.toString()}`);
    }
  }
});
