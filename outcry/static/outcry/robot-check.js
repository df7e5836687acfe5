// The robot check's widget (vendor/altcha), set up for this site's strict CSP: its
// worker is a file of ours rather than a blob: URL, and its texts come from the
// page in the page's language (outcry.guard.bots.widget_strings).
//
// The widget starts working when the visitor first moves into the form. Our forms
// are `novalidate` (the server says what to fix), so the widget's own "please
// wait" (a required checkbox) would not hold a quick submit back: this does. A
// form sent before the check is done waits for it, then goes; if the check fails,
// the form goes anyway and the server says what to do.
const FINAL = ["verified", "error"];

document.querySelectorAll("[data-robot-check]").forEach(function (check) {
  const worker = check.getAttribute("data-worker");
  globalThis.$altcha.algorithms.set("SHA-256", function () {
    return new Worker(worker);
  });
  const language = check.getAttribute("data-language");
  const strings = JSON.parse(check.getAttribute("data-strings"));
  globalThis.$altcha.i18n.set(language, strings);

  const widget = check.querySelector("altcha-widget");
  const form = check.closest("form");
  if (!widget || !form) return;
  // The widget's label changes silently; a live region says so to screen readers.
  const status = check.querySelector("[data-robot-status]");
  widget.addEventListener("statechange", function (changed) {
    const text = strings[changed.detail.state];
    if (status && text) status.textContent = text;
  });
  form.addEventListener("submit", function (event) {
    const state = widget.getState();
    if (state === "verified" || state === "error") return;
    event.preventDefault();
    const submitter = event.submitter;
    const waiting = function (changed) {
      if (!FINAL.includes(changed.detail.state)) return;
      widget.removeEventListener("statechange", waiting);
      form.requestSubmit(submitter);
    };
    widget.addEventListener("statechange", waiting);
    if (state !== "verifying") widget.verify();
  });
});
