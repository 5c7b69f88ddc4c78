// Forms marked data-autosubmit submit when their <select> changes; the button stays for no-JS.
export function enhanceAutosubmit(root) {
  for (const form of root.querySelectorAll("form[data-autosubmit]")) {
    form.classList.add("js-enabled");
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
}

// The organization's primary colour (a validated #RRGGBB) becomes the page's --brand colour.
export function applyBrandColour(root) {
  const meta = root.querySelector('meta[name="brand-color"]');
  const colour = meta && meta.getAttribute("content");
  if (colour && /^#[0-9a-fA-F]{6}$/.test(colour)) {
    root.documentElement.style.setProperty("--brand", colour);
  }
}
