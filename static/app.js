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

  // Ask before a consequential button in a form with several (e.g. "Publish").
  document.querySelectorAll("button[data-confirm-click]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm-click"))) {
        event.preventDefault();
      }
    });
  });

  // A print button where script can print; without script the browser's own print works.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // The flowsheet's reading clock: minutes since the last reading, and "overdue" once the
  // next one is due, kept current without reloading (the server drew it at page load).
  document.querySelectorAll(".reading-clock[data-next-due]").forEach(function (clock) {
    var last = Number(clock.getAttribute("data-last-reading"));
    var due = Number(clock.getAttribute("data-next-due"));
    var status = document.createElement("strong");
    status.className = "since";
    clock.appendChild(document.createTextNode(" "));
    clock.appendChild(status);
    function tick() {
      var now = Date.now() / 1000;
      var parts = [];
      if (last > 0) {
        parts.push(Math.floor((now - last) / 60) + " min since the last reading");
      }
      var overdue = due > 0 && now > due;
      if (overdue) {
        parts.push("overdue by " + Math.floor((now - due) / 60) + " min");
      }
      status.textContent = parts.join(", ");
      clock.classList.toggle("overdue", overdue);
    }
    tick();
    window.setInterval(tick, 15000);
  });

  // Move focus to an error summary so screen-reader users hear it first.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) {
    summary.focus();
  }
})();
