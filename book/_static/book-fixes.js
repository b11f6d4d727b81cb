/*
 * Sidebar toggles that work on phones and on desktop (loaded on every page by book/_ext).
 *
 * pydata-sphinx-theme 0.17 puts hidden toggle buttons of its own (class `primary-toggle` /
 * `secondary-toggle`) into its top navbar, and both it and sphinx-book-theme bind their click
 * handlers to `document.querySelector(".primary-toggle")`, that is to the FIRST button, the
 * hidden one (pydata-sphinx-theme issue #2451). The buttons a reader sees, in the article
 * header, get no handler: at 390 px the chapter list and the "Contents" drawer never open,
 * and on desktop the menu button does not collapse the sidebar.
 *
 * The fix forwards a click on any other toggle to the first one, whose handlers do the right
 * thing for the width (sphinx-book-theme collapses the sidebar at >= 992 px, the base theme
 * opens the drawer below that). Nothing is forwarded when the themes are fixed and the
 * visible button is the first one.
 */
(function () {
  "use strict";

  function forwardToggles(selector) {
    const toggles = Array.from(document.querySelectorAll(selector));
    if (toggles.length < 2) {
      return;
    }
    const bound = toggles[0];
    toggles.slice(1).forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        // the themes' handlers read document.activeElement to restore focus on close
        button.focus();
        bound.click();
        // hide the tooltip that stays on a focused button after the click
        button.blur();
      });
    });
  }

  // Output tables keep their cells on one line (book-fixes.css); cells with running text
  // (more than 40 characters with spaces) are marked so that they still wrap.
  function markTextCells() {
    document.querySelectorAll(".cell_output table.dataframe td").forEach((cell) => {
      const text = cell.textContent.trim();
      if (text.length > 40 && text.includes(" ")) {
        cell.classList.add("bf-wrap");
      }
    });
  }

  function setup() {
    forwardToggles(".primary-toggle");
    forwardToggles(".secondary-toggle");
    markTextCells();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
