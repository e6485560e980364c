// Progressive enhancement only: every form works without this file.
// "n" submits the next-case form (not while typing in a field or with a modifier key).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
    var form = document.getElementById("next-case");
    if (!form) return;
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
  // Ctrl+Enter (or ⌘+Enter) sends the form being filled in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target && event.target.form;
    if (!form || form.method !== "post") return;
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
  // A case's forms: the key shown beside an action (data-shortcut) opens it; Escape goes back
  // to the case (never while typing in a field).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key === "n") return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
    if (typing) return;
    var link = null;
    document.querySelectorAll("[data-shortcut]").forEach(function (candidate) {
      if (!link && candidate.getAttribute("data-shortcut") === event.key) link = candidate;
    });
    if (!link) return;
    event.preventDefault();
    link.click();
  });
  // The plan and settlement calculator, live: equal installments split as the server splits them
  // (integer minor units, rounded down, the remainder on the last). A preview only: the form's
  // "Calculate" button asks the server for the exact schedule and the approval.
  var calculator = document.querySelector("[data-calculator]");
  if (calculator) {
    var result = calculator.querySelector("[data-live-result]");
    var places = function (currency) {
      try {
        return new Intl.NumberFormat("en", { style: "currency", currency: currency }).resolvedOptions().maximumFractionDigits;
      } catch (error) { return 2; }
    };
    var minor = function (text, digits) {
      var match = /^\s*(\d{1,15})(?:\.(\d*))?\s*$/.exec(text);
      if (!match || (match[2] || "").length > digits) return null;
      return parseInt(match[1], 10) * Math.pow(10, digits) + parseInt(((match[2] || "") + "000000").slice(0, digits) || "0", 10);
    };
    var update = function () {
      var field = function (name) { var input = calculator.elements[name]; return input ? input.value : ""; };
      var currency = field("currency") || "CNY";
      var digits = places(currency);
      var method = field("method") || "equal";
      var amountText = calculator.elements.total ? field("total") : field("amount");
      var total = amountText.trim() === "" && !calculator.elements.total ? parseInt(calculator.getAttribute("data-owed"), 10) : minor(amountText, digits);
      var count = parseInt(field("count"), 10);
      if (method !== "equal" || total === null || !(count >= 1 && count <= 360) || total < count) { result.textContent = ""; return; }
      var each = Math.floor(total / count);
      var last = total - each * (count - 1);
      var format = function (value) {
        return new Intl.NumberFormat(document.documentElement.lang, { style: "currency", currency: currency }).format(value / Math.pow(10, digits));
      };
      result.textContent = calculator.getAttribute("data-live")
        .replace("{count}", String(count)).replace("{each}", format(each))
        .replace("{last}", format(last)).replace("{sum}", format(each * (count - 1) + last));
    };
    calculator.addEventListener("input", update);
    calculator.addEventListener("change", update);
    update();
  }
  // The language switcher submits on change; its button stays for those without this script.
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();
