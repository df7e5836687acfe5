// Inside an Outcry embed frame: tell the host page how tall this page is, so that
// static/outcry/embed.js can size the frame to fit without a scroll bar.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  var send = function () {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    // A height is no secret, and this page cannot know the host's origin: "*" is fine.
    // The host checks that the message comes from our origin and from its own frame.
    window.parent.postMessage({ outcry: "resize", height: height }, "*");
  };
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
  window.addEventListener("load", send);
  send();
})();
