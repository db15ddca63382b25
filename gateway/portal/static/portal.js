/* Commerce Hub developer portal: copy buttons, the hub's origin in examples, and try-it.
   No dependencies; talks only to the hub that served the page. */
(function () {
  "use strict";
  var store = window.sessionStorage;

  document.querySelectorAll(".origin").forEach(function (el) { el.textContent = window.location.origin; });

  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var code = button.closest(".example").querySelector("pre");
      var done = function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { button.textContent = "Press Ctrl+C"; }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  var kind = document.getElementById("auth-kind");
  var secret = document.getElementById("auth-secret");
  var credentialForm = document.getElementById("credential-form");
  if (credentialForm) { credentialForm.addEventListener("submit", function (event) { event.preventDefault(); }); }
  if (secret && kind) {
    secret.value = store.getItem("hub-secret") || "";
    if (store.getItem("hub-kind")) { kind.value = store.getItem("hub-kind"); }
    secret.addEventListener("input", function () { store.setItem("hub-secret", secret.value.trim()); });
    kind.addEventListener("change", function () { store.setItem("hub-kind", kind.value); });
  }

  var keyForm = document.getElementById("sandbox-key-form");
  if (keyForm) {
    var channel = keyForm.elements.channel;
    var customer = keyForm.elements.customer;
    var follow = function () { customer.closest("label").hidden = channel.value !== "partner"; };
    channel.addEventListener("change", follow);
    follow();
    keyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = document.getElementById("sandbox-key-result");
      var asked = { channel: channel.value, consumer: keyForm.elements.consumer.value.trim() };
      if (channel.value === "partner") { asked.customer = customer.value; }
      var button = keyForm.querySelector("button[type=submit]");
      button.disabled = true;
      window.fetch("/docs/sandbox-keys", { method: "POST", headers: { "Content-Type": "application/json" },
                                           body: JSON.stringify(asked), credentials: "omit", cache: "no-store" })
        .then(function (response) {
          return response.json().then(function (answer) {
            result.hidden = false;
            var status = result.querySelector(".try-status");
            var shown = document.getElementById("sandbox-key-secret");
            var meta = document.getElementById("sandbox-key-meta");
            meta.textContent = "";
            if (response.status !== 201) {
              status.textContent = response.status + " " + (answer.code || "") + ": " + (answer.detail || "") +
                (answer.errors ? " (" + answer.errors.map(function (e) { return e.field + ": " + e.message; }).join("; ") + ")" : "");
              shown.textContent = "";
              return;
            }
            status.textContent = "Your key (shown only now; it is also set for try-it in this tab):";
            shown.textContent = answer.key;
            store.setItem("hub-secret", answer.key);
            store.setItem("hub-kind", "X-API-Key");
            meta.textContent = "id " + answer.id + " \u00b7 scopes " + answer.scopes.join(" ") +
              (answer.customer ? " \u00b7 customer " + answer.customer : "") + " \u00b7 expires " + answer.expires_at + " \u00b7 ";
            var next = document.createElement("a");
            next.id = "sandbox-key-next";
            next.href = "/docs/" + asked.channel + "-v1";
            next.textContent = "Try it in the " + asked.channel + " v1 reference";
            meta.appendChild(next);
          });
        })
        .catch(function (error) { result.hidden = false; result.querySelector(".try-status").textContent = "The request failed: " + error; })
        .then(function () { button.disabled = false; });
    });
  }

  var freshKey = function () {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    return "try-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  };
  document.querySelectorAll("input.fresh-key").forEach(function (input) { input.value = freshKey(); });

  var show = function (form, status, headers, body, problemType) {
    var result = form.querySelector(".try-result");
    result.hidden = false;
    result.querySelector(".try-status").textContent = status;
    result.querySelector(".try-headers").textContent = headers;
    result.querySelector(".try-body").textContent = body;
    var old = result.querySelector(".try-problem");
    if (old) { old.remove(); }
    if (problemType) {
      var link = document.createElement("a");
      link.className = "try-problem";
      link.href = problemType;
      link.textContent = "What this problem means: " + problemType;
      result.appendChild(link);
    }
  };

  document.querySelectorAll("form.try-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var method = form.dataset.method;
      var path = form.dataset.path;
      var query = new URLSearchParams();
      var headers = {};
      var body;
      form.querySelectorAll("[data-in]").forEach(function (input) {
        var value = input.value.trim();
        if (!value) { return; }
        var where = input.dataset.in;
        if (where === "path") { path = path.replace("{" + input.name + "}", encodeURIComponent(value)); }
        else if (where === "query") { query.append(input.name, value); }
        else if (where === "header") { headers[input.name] = value; }
        else if (where === "body") { body = value; headers["Content-Type"] = "application/json"; }
      });
      if (/\{[^}]+\}/.test(path)) {
        show(form, "Fill in every path parameter first.", "", "", null);
        return;
      }
      var credential = secret ? secret.value.trim() : "";
      if (credential) {
        if (kind && kind.value === "Bearer") { headers.Authorization = "Bearer " + credential; }
        else { headers["X-API-Key"] = credential; }
      }
      var url = path + (query.toString() ? "?" + query.toString() : "");
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      window.fetch(url, { method: method, headers: headers, body: body, credentials: "omit", cache: "no-store" })
        .then(function (response) {
          return response.text().then(function (text) {
            var lines = [];
            response.headers.forEach(function (value, name) { lines.push(name + ": " + value); });
            var pretty = text;
            var problemType = null;
            try {
              var parsed = JSON.parse(text);
              pretty = JSON.stringify(parsed, null, 2);
              if (parsed && typeof parsed.type === "string" && parsed.type.indexOf("/docs/problems/") === 0) {
                problemType = parsed.type;
              }
            } catch (e) { /* not JSON: shown as it is */ }
            show(form, method + " " + url + " \u2192 " + response.status + " " + response.statusText,
                 lines.sort().join("\n"), pretty, problemType);
          });
        })
        .catch(function (error) { show(form, "The request failed: " + error, "", "", null); })
        .then(function () { button.disabled = false; });
    });
  });
})();
