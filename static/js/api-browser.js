// The browsable API's "Send a request": the method and JSON body chosen, sent with the
// session's CSRF token; the answer is shown below the form. Without this file the page
// still shows every answer (GET), and the form posts nothing it cannot.
(() => {
  "use strict";
  const form = document.querySelector("form[data-api-send]");
  if (!form) return;
  const answer = form.parentElement.querySelector("[data-api-answer]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const method = form.elements.method.value;
    const body = form.elements.body.value.trim();
    const headers = {
      "Accept": "application/json",
      "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
    };
    if (body) headers["Content-Type"] = "application/json";
    let text;
    try {
      const response = await fetch(form.action, { method, headers, body: body || undefined, credentials: "same-origin" });
      const raw = await response.text();
      let shown = raw;
      try { shown = JSON.stringify(JSON.parse(raw), null, 4); } catch { /* not JSON: as it came */ }
      text = `HTTP ${response.status} ${response.statusText}\n\n${shown}`;
    } catch {
      text = "The portal could not be reached; nothing was sent.";
    }
    answer.textContent = text;
    answer.hidden = false;
  });
})();
