/* DOM helpers. Every piece of server or CRM text goes through textContent or
 * attribute setters here; nothing in the extension parses HTML strings. */
(function (A360) {
  "use strict";
  const SVG_NS = "http://www.w3.org/2000/svg";

  function apply(node, props) {
    if (!props) return node;
    for (const key of Object.keys(props)) {
      const value = props[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.setAttribute("class", value);
      else if (key === "text") node.textContent = String(value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "style") node.setAttribute("style", value);
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else if (typeof child === "string" || typeof child === "number") {
        node.appendChild(document.createTextNode(String(child)));
      } else node.appendChild(child);
    }
    return node;
  }

  /** h("div", {class: "x", text: "..."}, child, "text", ...) -> HTMLElement */
  function h(tag, props, ...children) {
    return append(apply(document.createElement(tag), props), children);
  }

  /** Same for SVG elements (createElementNS). */
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        if (attrs[key] === null || attrs[key] === undefined) continue;
        if (key === "text") node.textContent = String(attrs[key]);
        else node.setAttribute(key, String(attrs[key]));
      }
    }
    return append(node, children);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  A360.dom = { h, svg, clear };
})(globalThis.A360);
