// Outcry's progressive enhancement. Every page works without it.
(function () {
  "use strict";

  // After a failed submit, move focus to the list of what to fix.
  var errors = document.querySelector(".errors");
  if (errors) errors.focus();

  // The open letter closes with the name being typed into the sign form.
  var nameInput = document.querySelector("form.sign input[name=name]");
  var signed = document.querySelector("[data-letter-name]");
  if (nameInput && signed) {
    var show = function () {
      signed.textContent = nameInput.value.trim() || signed.getAttribute("data-placeholder");
    };
    nameInput.addEventListener("input", show);
    show();
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    var box = button.closest(".share, .embed-code");
    var status = box && box.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        if (status) status.textContent = status.getAttribute("data-copied");
      });
    });
  });

  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    if (!navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({
        title: document.title,
        text: button.getAttribute("data-share-text"),
        url: button.getAttribute("data-share-url")
      }).catch(function () {});
    });
  });

  // Keep the counter fresh while the page is open.
  var counter = document.querySelector("[data-count-url]");
  if (counter && window.fetch) {
    var format = new Intl.NumberFormat(document.documentElement.lang);
    var refresh = function () {
      if (document.hidden) return;
      fetch(counter.getAttribute("data-count-url")).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (data) {
        if (!data) return;
        counter.querySelector("[data-count]").textContent = format.format(data.signature_count);
        var bar = counter.querySelector("progress");
        bar.max = data.goal;
        bar.value = data.signature_count;
        counter.querySelector("[data-goal]").textContent = format.format(data.goal);
      }).catch(function () {});
    };
    setInterval(refresh, 10000);
  }
})();
