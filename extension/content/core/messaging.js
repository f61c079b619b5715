/* The content scripts' (and extension pages') only way to reach the server: a
 * message to the background service worker, answered with the envelope
 * {ok: true, data} | {ok: false, error: {code, message, status, details}}. */
(function (A360) {
  "use strict";

  function contextAlive() {
    try {
      return Boolean(globalThis.chrome && chrome.runtime && chrome.runtime.id);
    } catch (_) {
      return false;
    }
  }

  function send(message) {
    return new Promise((resolve) => {
      if (!contextAlive()) {
        resolve({ ok: false, error: { code: "extension_reloaded", message: "The extension was updated: reload this page." } });
        return;
      }
      try {
        chrome.runtime.sendMessage(message, (response) => {
          const err = chrome.runtime.lastError;
          if (err || !response) {
            resolve({ ok: false, error: { code: "extension_error", message: (err && err.message) || "No answer from the extension." } });
          } else resolve(response);
        });
      } catch (e) {
        resolve({ ok: false, error: { code: "extension_reloaded", message: String((e && e.message) || e) } });
      }
    });
  }

  /** chrome.storage.local get/set for UI state (never the token: the widget does not need it). */
  const store = {
    get(keys) {
      return new Promise((resolve) => {
        if (!contextAlive()) return resolve({});
        try {
          chrome.storage.local.get(keys, (items) => resolve(items || {}));
        } catch (_) {
          resolve({});
        }
      });
    },
    set(items) {
      return new Promise((resolve) => {
        if (!contextAlive()) return resolve();
        try {
          chrome.storage.local.set(items, () => resolve());
        } catch (_) {
          resolve();
        }
      });
    },
  };

  A360.send = send;
  A360.store = store;
  A360.contextAlive = contextAlive;
})(globalThis.A360);
