// Forms (no inline scripts: CSP). The error summary (templates/forms/error_summary.html) takes
// focus after a failed submit, on a page load or when htmx swaps in a fragment that has one;
// its links move focus to the field and bring the field's label into view. The workbook's
// autosave swaps a field's error message by id: keep the control's aria-invalid and
// aria-describedby in step with it.
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = root && root.querySelector ? root.querySelector("[data-error-summary]") : null;
    if (!summary && root && root.matches && root.matches("[data-error-summary]")) summary = root;
    if (!summary) return;
    summary.focus();
    summary.scrollIntoView({ block: "start" });
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
    var holders = root.querySelectorAll ? root.querySelectorAll("[data-error-for]") : [];
    if (root.matches && root.matches("[data-error-for]")) holders = [root];
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

  document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { syncErrors(event.detail.target); });
  document.addEventListener("htmx:afterSettle", function (event) {
    syncErrors(event.detail.elt);
    var status = event.detail.xhr ? event.detail.xhr.status : 200;
    // A submit refused (400/422), or a fragment that came back with a summary: show it.
    if (status === 400 || status === 422 || (event.detail.requestConfig && event.detail.requestConfig.verb === "post")) {
      var elt = event.detail.elt;
      focusSummary(elt && elt.isConnected ? elt : document);
    }
  });
})();
