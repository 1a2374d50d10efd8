/* mbc forms: focus the error summary, take its links to their fields, count the answers given. No framework. */
(function () {
  "use strict";

  // GOV.UK error summary: focused on load, so it is read out and the keyboard starts there.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      if (!link) return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      var panel = input.closest("details");
      if (panel) panel.open = true;
      // Show the question (legend) or label with the control, not the control alone at the top edge.
      var fieldset = input.closest("fieldset");
      var legend = fieldset ? fieldset.querySelector("legend") : document.querySelector("label[for='" + input.id + "']");
      (legend || input).scrollIntoView({ block: "start" });
      input.focus({ preventScroll: true });
    });
  }

  // "3 of 9 answered": the server renders the count (hidden until this script runs), this keeps it live.
  function countAnswers() {
    document.querySelectorAll("[data-progress]").forEach(function (progress) {
      var form = document.getElementById(progress.getAttribute("data-progress"));
      if (!form) return;
      var items = form.querySelectorAll("fieldset[data-item]");
      var count = progress.querySelector("[data-answered]");
      var bar = progress.querySelector("progress");
      function update() {
        var answered = 0;
        items.forEach(function (item) { if (item.querySelector("input:checked")) answered += 1; });
        count.textContent = String(answered);
        if (bar) bar.value = answered;
        progress.classList.toggle("progress-done", answered === items.length);
      }
      form.addEventListener("change", update);
      update();
      progress.hidden = false;
    });
  }

  focusErrorSummary();
  countAnswers();
})();
