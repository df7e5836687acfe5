// Outcry embed. On another site, paste:
//   <div data-outcry-petition="the-petition-slug"></div>   (or data-outcry-action="ua-105-2022")
//   <script src="https://outcry.example/static/outcry/embed.js" async></script>
// Each such element gets a frame with the campaign's sign form (or counter) in the
// page's language (<html lang>, or data-lang on the element), resized to fit.
(function () {
  "use strict";
  var LANGUAGES = ["en", "es"]; // settings.LANGUAGES; anything else gets English
  var script = document.currentScript;
  if (!script || !window.URL) return;
  var origin = new URL(script.src).origin;
  var frames = [];

  var language = function (slot) {
    var tag = slot.getAttribute("data-lang") || document.documentElement.lang || "";
    var code = tag.toLowerCase().split("-")[0];
    return LANGUAGES.indexOf(code) >= 0 ? code : "en";
  };

  var insert = function (slot) {
    if (slot.querySelector("iframe")) return; // the script is on the page twice
    var petition = slot.getAttribute("data-outcry-petition");
    var action = slot.getAttribute("data-outcry-action");
    var path = petition
      ? "/petitions/" + encodeURIComponent(petition) + "/embed/"
      : "/actions/" + encodeURIComponent(action) + "/embed/";
    var frame = document.createElement("iframe");
    frame.src = origin + "/" + language(slot) + path;
    frame.title = slot.getAttribute("data-title") || "Outcry";
    frame.setAttribute("loading", "lazy");
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.maxWidth = "40rem";
    frame.style.height = petition ? "720px" : "320px";
    frame.style.border = "0";
    frames.push(frame);
    slot.appendChild(frame);
  };

  window.addEventListener("message", function (event) {
    // Only our own pages size our frames, and each only its own frame.
    if (event.origin !== origin || !event.data || event.data.outcry !== "resize") return;
    var height = Math.min(Math.max(parseInt(event.data.height, 10) || 0, 120), 5000);
    frames.forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = height + "px";
    });
  });

  var start = function () {
    document.querySelectorAll("[data-outcry-petition], [data-outcry-action]").forEach(insert);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
