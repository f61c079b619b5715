/* Full 360 view inside the extension (view.html?id=<account id>): the same
 * widget code, in page mode. */
(function (A360) {
  "use strict";
  const id = new URLSearchParams(location.search).get("id");
  const main = document.getElementById("view");
  if (!id) {
    main.appendChild(A360.dom.h("p", { class: "muted", text: "No account selected. Search for one from the toolbar button." }));
    return;
  }
  const widget = A360.createWidget({ mode: "page", container: main });
  widget.load({ accountId: id, label: "account " + id }).then(() => {
    const name = widget.root.querySelector('[data-testid="a360-name"]');
    if (name) document.title = name.textContent + " · account360";
  });
})(globalThis.A360);
