// The robot check's widget (vendor/altcha), set up for this site's strict CSP: its
// worker is a file of ours rather than a blob: URL, and its texts come from the
// page in the page's language (outcry.guard.bots.widget_strings).
const checks = document.querySelectorAll("[data-robot-check]");
checks.forEach(function (check) {
  const worker = check.getAttribute("data-worker");
  globalThis.$altcha.algorithms.set("SHA-256", function () {
    return new Worker(worker);
  });
  const language = check.getAttribute("data-language");
  globalThis.$altcha.i18n.set(language, JSON.parse(check.getAttribute("data-strings")));
});
