// Copy buttons for the embed snippet. Optional: without JavaScript the button stays hidden and
// the snippet can be selected and copied by hand.
"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.nextElementSibling;
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value);
      if (status) status.textContent = button.dataset.copied;
    } catch {
      source.select();
    }
  });
}
