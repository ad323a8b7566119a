// Small DOM helpers. Text from data only ever reaches the page as text (textContent or an
// attribute value), never as markup; the one exception is a report section's HTML, which
// the server sanitizes (see docs/ARCHITECTURE.md, "Reports").

export const $ = (id) => document.getElementById(id);

export function show(node, visible) {
  node.hidden = !visible;
}

// element("a", { href: "…", text: "…" }, child…): attributes are set as values, never parsed.
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function setText(id, text) {
  $(id).textContent = text || "";
}

// A message box (role=alert) that is hidden while empty.
export function setMessage(id, text) {
  const node = $(id);
  node.textContent = text || "";
  show(node, Boolean(text));
}
