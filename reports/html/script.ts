/**
 * The page's only code: it marks the selected cell, opens the witness named in the address, and
 * copies replay commands (the clipboard API where allowed, else a selection and execCommand).
 * Static text: nothing from the results is ever part of it, and the page's CSP admits only it.
 */
export const SCRIPT = `
(function () {
  function select() {
    var id = location.hash.slice(1);
    document.querySelectorAll(".cell.selected").forEach(function (c) { c.classList.remove("selected"); });
    if (!id) return;
    var link = document.querySelector('.cell a[href="#' + CSS.escape(id) + '"]');
    if (link) link.parentElement.classList.add("selected");
  }
  window.addEventListener("hashchange", select);
  select();
  function fallbackCopy(code) {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) return;
    var code = button.parentElement.querySelector(".replay-command");
    var status = button.parentElement.querySelector(".copied");
    var done = function (ok) { status.textContent = ok ? "copied" : "selected: press Ctrl+C"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(code.textContent).then(
        function () { done(true); },
        function () { done(fallbackCopy(code)); }
      );
    } else {
      done(fallbackCopy(code));
    }
  });
})();
`;
