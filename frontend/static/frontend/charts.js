/* mbc pages: draw the plotly figures the server built, copy a link, and send a form once. No framework. */
(function () {
  "use strict";

  function drawFigures() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        responsive: true,
        displayModeBar: false,
        displaylogo: false
      }).then(function () {
        // A bar whose customdata is a path of this site opens it: the patients behind an outcomes figure.
        el.on("plotly_click", function (event) {
          var url = event.points && event.points[0] && event.points[0].customdata;
          if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") window.location.assign(url);
        });
      });
    });
  }

  function wireCopyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      button.addEventListener("click", function () {
        input.focus();
        input.select();
        var done = function () { button.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {});
        } else if (document.execCommand && document.execCommand("copy")) {
          done();
        }
      });
    });
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  // A second tap on "send" does nothing; the hidden client_id makes a resent form harmless anyway.
  function sendFormsOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sent")) {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-sent", "1");
      });
    });
  }

  // Deferred scripts run after the document is parsed.
  drawFigures();
  wireCopyButtons();
  sendFormsOnce();
})();
