// Two accessibility repairs of markup the theme and docutils generate (axe-core, WCAG 2.1 AA):
// - the sidebar's expand/collapse toggles are <summary> elements holding only an icon, so a
//   screen reader announces nothing: give each one a name;
// - the bibliography is a role="list" whose entries have role="doc-biblioentry", which ARIA
//   does not allow inside a list (and DPUB-ARIA 1.1 deprecates): make them list items.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("summary").forEach((summary) => {
    if (!summary.textContent.trim() && !summary.hasAttribute("aria-label")) {
      summary.setAttribute("aria-label", "Show or hide the pages of this section");
    }
  });
  document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach((entry) => {
    entry.setAttribute("role", "listitem");
  });
});
