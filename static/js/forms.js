// Forms (no inline scripts: CSP). The error summary (templates/forms/error_summary.html) takes
// focus after a failed submit, on a page load or when htmx swaps in a fragment that has one;
// its links move focus to the field and bring the field's label into view. The workbook's
// autosave swaps a field's error message by id: keep the control's aria-invalid and
// aria-describedby in step with it.
(function () {
  "use strict";

  // Focus the first summary not shown before (a page load, or a fragment htmx swapped in);
  // every summary on the page then counts as seen, so a later swap elsewhere does not jump.
  function focusNewSummary() {
    var fresh = document.querySelectorAll("[data-error-summary]:not([data-seen])");
    Array.prototype.forEach.call(fresh, function (s) { s.setAttribute("data-seen", ""); });
    if (!fresh.length) return;
    // Scroll only as far as needed: on a page load the heading above it stays in view.
    fresh[0].focus({ preventScroll: true });
    fresh[0].scrollIntoView({ block: "nearest" });
  }

  function fieldOf(control) {
    return control.closest("fieldset.choices") || control.closest(".field") || control;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) return;
    event.preventDefault();
    var field = fieldOf(target);
    var label = field.querySelector("legend") || document.querySelector("label[for='" + target.id + "']");
    (label || target).scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });

  function syncErrors(root) {
    var holders = root.querySelectorAll("[data-error-for]");
    Array.prototype.forEach.call(holders, function (holder) {
      var id = holder.getAttribute("data-error-for");
      var control = document.getElementById(id) || document.getElementById(id + "_0");
      if (!control) return;
      var field = fieldOf(control);
      var invalid = holder.textContent.trim() !== "";
      field.classList.toggle("has-error", invalid);
      var controls = field.matches("fieldset") ? field.querySelectorAll("input") : [control];
      Array.prototype.forEach.call(controls, function (c) {
        if (invalid) c.setAttribute("aria-invalid", "true");
        else c.removeAttribute("aria-invalid");
      });
      var described = field.matches("fieldset") ? field : control;
      var ids = (described.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
        return x && x !== holder.id;
      });
      if (invalid) ids.push(holder.id);
      if (ids.length) described.setAttribute("aria-describedby", ids.join(" "));
      else described.removeAttribute("aria-describedby");
    });
  }

  document.addEventListener("DOMContentLoaded", focusNewSummary);
  // After any swap (the autosave's are out-of-band, by id), re-read every error holder.
  document.addEventListener("htmx:afterSettle", function () {
    syncErrors(document);
    focusNewSummary();
  });
})();
