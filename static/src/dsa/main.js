// The candidate's async coding assessment (/v1/dsa/<token>/, DESIGN.md §4.3). Before the start the
// page is a start screen (start.js, no editor loaded); once the clock runs it is the assessment
// itself (assessment.js). No inline script (CSP): the page hands its settings over with json_script.
const config = JSON.parse(document.getElementById("dsa-config").textContent);

if (config.started) import("./assessment.js");
else import("./start.js");
