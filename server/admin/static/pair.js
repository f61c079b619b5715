/* "Connect the browser extension": ask the server for a fresh token and hand it, with the
 * server URL, to the installed extension (externally_connectable), which asks the user to
 * confirm this server's origin before it keeps the token. The token is never shown. */
(function () {
  "use strict";
  var box = document.getElementById("pair");
  var button = document.getElementById("pair-button");
  var out = document.getElementById("pair-result");
  if (!box || !button) return;
  var extId = box.getAttribute("data-extension-id");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function say(msg) { out.textContent = msg; }

  function send(msg) {
    return new Promise(function (resolve, reject) {
      if (!extId || !window.chrome || !chrome.runtime || !chrome.runtime.sendMessage) {
        reject(new Error("not-reachable"));
        return;
      }
      chrome.runtime.sendMessage(extId, msg, function (reply) {
        if (chrome.runtime.lastError || !reply) reject(new Error("not-reachable"));
        else resolve(reply);
      });
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("Looking for the extension…");
    send({ type: "a360Ping" }).then(function () {
      return fetch(box.getAttribute("data-token-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" }, body: "{}"
      }).then(function (r) {
        if (!r.ok) throw new Error("server");
        return r.json();
      });
    }).then(function (data) {
      say("Confirm this server's address in the window the extension opened…");
      return send({ type: "a360Pair", serverUrl: data.server_url, token: data.token });
    }).then(function (reply) {
      say(reply.ok ? "The extension is connected to this server." :
          "The extension refused: " + ((reply.error && reply.error.message) || "unknown reason"));
    }, function (e) {
      say(e.message === "not-reachable"
        ? "The extension is not installed in this browser, or it does not accept this server's address (see docs/setup.md)."
        : "The server could not create a token; reload the page and try again.");
    }).then(function () { button.disabled = false; });
  });
})();
