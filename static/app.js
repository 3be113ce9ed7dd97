// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // A "show password" switch beside each password field.
  document.querySelectorAll("input[data-reveal]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-link reveal";
    button.textContent = "Show password";
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var hidden = input.type === "password";
      input.type = hidden ? "text" : "password";
      button.textContent = hidden ? "Hide password" : "Show password";
      button.setAttribute("aria-pressed", hidden ? "true" : "false");
    });
    input.insertAdjacentElement("afterend", button);
  });

  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // Move focus to an error summary so screen-reader users hear it first.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) {
    summary.focus();
  }
})();
