/* Confirmation window of a one-click pairing (opened by the service worker): shows the
 * server origin a page offered and sends the user's answer back. The token never comes here. */
(function (A360) {
  "use strict";
  const id = new URLSearchParams(location.search).get("id") || "";
  const origin = document.querySelector('[data-testid="confirm-origin"]');
  const status = document.getElementById("status");
  const buttons = [document.getElementById("accept"), document.getElementById("reject")];

  async function answer(accept) {
    buttons.forEach((b) => { b.disabled = true; });
    const res = await A360.send({ type: "confirmPairing", id, accept });
    const accepted = res.ok && res.data && res.data.accepted;
    status.textContent = accepted ? "Connected." : accept ? "This request has expired: start again from the server's page." : "Not connected.";
    if (res.ok) setTimeout(() => window.close(), accepted ? 600 : 300);
  }

  chrome.storage.session.get("pair:" + id).then((items) => {
    const p = items["pair:" + id];
    if (!p) {
      origin.textContent = "(expired request)";
      buttons[0].disabled = true;
      return;
    }
    origin.textContent = p.server;
    buttons[0].addEventListener("click", () => answer(true));
    buttons[1].addEventListener("click", () => answer(false));
  });
})(globalThis.A360);
