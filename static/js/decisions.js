// The decision form of a gate review (templates/gates/_decide.html). No inline scripts: CSP.
// - Fields that belong to one decision show only while that decision is chosen (a field
//   with an error stays visible). Without this script every field shows and the server
//   refuses those that do not belong.
// - A refused htmx post (400/409) is swapped in like a success, so its errors show in place;
//   after a swap, focus goes to the error summary or to the after-deciding state.
(function () {
  "use strict";

  function sync(form) {
    var chosen = form.querySelector("input[name=decision]:checked");
    var value = chosen ? chosen.value : "";
    form.querySelectorAll("[data-for-decision]").forEach(function (field) {
      var keep = field.getAttribute("data-for-decision") === value || field.classList.contains("has-error");
      field.hidden = !keep;
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !keep;
      });
    });
  }

  function init(root) {
    root.querySelectorAll("form[data-decision-form]").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-decision-form]");
    if (form && event.target.name === "decision") {
      sync(form);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig || {};
    var source = config.elt || event.detail.elt || event.target;
    if ((status === 400 || status === 409) && source && source.closest && source.closest("form[data-decision-form]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    init(document);
    var target = document.getElementById("decision-errors") || document.getElementById("decided");
    if (target) {
      target.focus();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
