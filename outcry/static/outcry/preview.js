// Live Markdown preview on the authoring pages. Without it the "Preview"
// button posts the form and the page shows the same rendering.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!token) return;

  form.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var pane = document.getElementById("preview-" + area.getAttribute("data-preview"));
    if (!pane) return;
    var timer = null;
    var sent = 0;
    var render = function () {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", token.value);
      body.append("text", area.value);
      var mine = ++sent;
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          // Only the latest answer counts; the server has sanitised it already.
          if (html !== null && mine === sent) pane.innerHTML = html;
        })
        .catch(function () {});
    };
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
    render();
  });

  var button = form.querySelector("[data-preview-button]");
  if (button) button.hidden = true;
})();
