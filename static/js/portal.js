// Progressive enhancement for the portal: every link and form here works without this file.
// With it: dialogs instead of pages, copy buttons, and a table that filters, sorts and pages
// without reloading. Views answer `X-Requested-With: fetch` with the piece of page to swap in.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  const FETCH = { "X-Requested-With": "fetch" };
  const PENDING = "portal.pendingGenerate";

  // A request whose session ended gets a 401 naming the sign-in page: go there, and come
  // back to this page (not to the fragment that was asked for). Returns true if it did.
  async function sessionEnded(response, pending) {
    if (response.status !== 401) return false;
    let body = {};
    try { body = await response.json(); } catch { /* not ours: use the default page */ }
    if (pending) sessionStorage.setItem(PENDING, JSON.stringify(pending));
    const next = location.pathname + location.search;
    location.assign(`${body.login_url || "/accounts/login/"}?next=${encodeURIComponent(next)}`);
    return true;
  }

  // A one-time key for a form that makes something, new each time the form is offered.
  function newSubmissionKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Plain forms that make something are sent once: later submits (a double click, Enter
  // pressed again) are ignored while the first is on its way. The server checks the form's
  // one-time key as well, so a second request that gets through makes nothing.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-submit-once]:not([data-fetch-form])");
    if (!form) return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }));
  }, true);

  // The expiry's date field is offered only when "On a date…" is chosen (without this
  // file it is always there, and ignored unless chosen).
  // Likewise the capabilities to tick, only for "Only these capabilities".
  function showExpiryDate(root) {
    root.querySelectorAll("[data-expiry-choice]").forEach((select) => {
      const date = select.form?.querySelector(".expiry-date");
      if (date) date.hidden = select.value !== "date";
    });
    root.querySelectorAll("[data-scopes]").forEach((scopes) => {
      const chosen = scopes.closest("form")?.querySelector("[data-access-choice]:checked");
      scopes.hidden = chosen?.value !== "custom";
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches?.("[data-expiry-choice], [data-access-choice]")) showExpiryDate(event.target.form);
  });
  new MutationObserver(() => showExpiryDate(document)).observe(document.body, { childList: true, subtree: true });
  showExpiryDate(document);

  // ---- Messages (announced by the role="status" region) ----
  function say(text, kind = "success") {
    const box = document.getElementById("messages");
    if (!box) return null;
    const p = document.createElement("p");
    p.className = `message ${kind}`;
    p.textContent = text;
    p.tabIndex = -1; // focus can be put on it, so that it is read and seen where it is
    box.replaceChildren(p);
    return p;
  }

  // Where focus goes when what had it is gone (a table redrawn, a row revoked): `target`,
  // else the table's count line, else the main region; never <body>.
  function keepFocus(target) {
    const next = target || document.querySelector("#token-table [data-testid=token-count]") || document.getElementById("main");
    if (!next) return;
    if (!next.matches("a[href], button, input, select, textarea, [tabindex]")) next.tabIndex = -1;
    next.focus();
  }

  // ---- Copy buttons ----
  async function copy(text, button) {
    button.closest("dialog")?.setAttribute("data-copied", "1");
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const scratch = document.createElement("textarea");
      scratch.value = text;
      document.body.append(scratch);
      scratch.select();
      document.execCommand("copy");
      scratch.remove();
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 2000);
  }
  function enableCopyButtons(root) {
    root.querySelectorAll(".copy-button[hidden]").forEach((b) => { b.hidden = false; });
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy], [data-copy-text]");
    if (!button) return;
    const text = button.dataset.copyText ?? document.querySelector(button.dataset.copy).value;
    copy(text, button);
  });

  // ---- Menus ("?" and the account): Escape closes the open one, focus back on its button ----
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const menu = document.querySelector("details.menu[open]");
    if (!menu || document.querySelector("dialog[open]")) return;
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  });

  // ---- Dialogs: focus moves in, Escape closes (native), focus returns to the opener ----
  const openers = new WeakMap();
  function openDialog(dialog, opener) {
    openers.set(dialog, opener || document.activeElement);
    dialog.showModal();
    (dialog.querySelector("[autofocus], input:not([type=hidden]), button, a[href]"))?.focus();
  }
  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.addEventListener("close", () => {
      const opener = openers.get(dialog);
      if (opener && document.contains(opener)) opener.focus();
      else keepFocus(); // its row was redrawn (a regenerated token): the table, not <body>
    });
    // Copying the value by hand (select, Ctrl+C) counts as copying it.
    dialog.addEventListener("copy", () => dialog.setAttribute("data-copied", "1"));
  });
  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-dialog]");
    if (trigger) {
      event.preventDefault();
      // A trigger in a menu goes with the menu: focus comes back to the menu's button.
      const menu = trigger.closest("details");
      menu?.removeAttribute("open");
      const dialog = document.getElementById(trigger.dataset.dialog);
      if (dialog.id === "generate-dialog") resetGenerate(dialog);
      openDialog(dialog, menu ? menu.querySelector("summary") : trigger);
      return;
    }
    const closer = event.target.closest("dialog [data-close]");
    if (closer) {
      event.preventDefault();
      const dialog = closer.closest("dialog");
      if (!warnUncopied(dialog)) dialog.close();
      return;
    }
    const anyway = event.target.closest("dialog [data-close-anyway]");
    if (anyway) anyway.closest("dialog").close();
    const keep = event.target.closest("dialog [data-keep-open]");
    if (keep) {
      keep.closest("[data-uncopied-warning]").hidden = true;
      keep.closest("dialog").querySelector("#token-value")?.select();
    }
  });

  // A value shown once and never copied is not thrown away without a word: the first
  // attempt to close (Close, Escape) asks, the second ("Close without copying") closes.
  function warnUncopied(dialog) {
    const warning = dialog.querySelector("[data-uncopied-warning]");
    if (!warning || dialog.dataset.copied || !warning.hidden) return false;
    warning.hidden = false;
    warning.querySelector("[data-keep-open]").focus();
    return true;
  }
  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.addEventListener("cancel", (event) => {
      if (warnUncopied(dialog)) event.preventDefault();
    });
  });

  // ---- Generate and Regenerate: step one posts the form, step two shows the value once ----
  // A dialog whose [data-dialog-content] holds a form[data-fetch-form]: the answer replaces
  // the content (the form again with its errors, or the value: a 201); closing it after a
  // 201 takes the value off the page (`blank()` is what the content becomes) and refreshes
  // the table.
  function fetchFormDialog(dialog, blank) {
    const body = dialog?.querySelector("[data-dialog-content]");
    if (!body) return body;
    dialog.addEventListener("submit", async (event) => {
      const form = event.target.closest("form[data-fetch-form]");
      if (!form) return;
      event.preventDefault();
      if (form.dataset.sending) return; // a double click or Enter again: one request
      form.dataset.sending = "1";
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
      // What was chosen, to come back to if the session has ended or the sign-in is too old
      // for minting (never the one-time key).
      const pending = { dialog: dialog.id, href: form.action, choices: formChoices(form) };
      let response;
      try {
        response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: FETCH, credentials: "same-origin" });
      } catch {
        delete form.dataset.sending;
        form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; });
        say("The portal could not be reached; nothing was changed. Try again.", "error");
        return;
      }
      if (await sessionEnded(response, pending)) return;
      body.innerHTML = await response.text();
      enableCopyButtons(body);
      if (response.status === 201) {
        dialog.dataset.generated = "1";
        body.querySelector("#token-value")?.select();
        body.querySelector(".copy-button")?.focus();
      } else {
        body.querySelector("input:not([type=hidden]), select, button")?.focus();
      }
    });
    dialog.addEventListener("close", () => {
      if (dialog.dataset.generated) {
        body.innerHTML = blank(); // the value leaves the page with the dialog
        dialog.dataset.generated = "";
        refreshTable(location.href, false).then(() => {
          if (!document.activeElement || document.activeElement === document.body) keepFocus();
        });
      }
    });
    return body;
  }
  const generateDialog = document.getElementById("generate-dialog");
  const blankForm = generateDialog?.querySelector("[data-dialog-content]")?.innerHTML;
  const generateBody = fetchFormDialog(generateDialog, () => blankForm);
  function resetGenerate(dialog) {
    generateBody.innerHTML = blankForm;
    dialog.dataset.generated = "";
    dialog.removeAttribute("data-copied");
    const key = generateBody.querySelector("[data-submission-key]");
    if (key) key.value = newSubmissionKey();
  }

  // Regenerate asks the server for its form (the token's name and the grace periods).
  const rotateDialog = document.getElementById("rotate-dialog");
  const rotateBody = fetchFormDialog(rotateDialog, () => "");
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-rotate]");
    if (!link || !rotateDialog) return;
    event.preventDefault();
    await openRotate(link.href, link);
  });

  // Opens the Regenerate dialog with the form at `href`; false if it could not.
  async function openRotate(href, opener) {
    let response;
    try {
      response = await fetch(href, { headers: FETCH, credentials: "same-origin" });
    } catch {
      say("The portal could not be reached; nothing was changed. Try again.", "error");
      return false;
    }
    if (await sessionEnded(response)) return false;
    if (!response.ok) {
      let message = "That token cannot be regenerated.";
      try { message = (await response.json()).message || message; } catch { /* a page: keep ours */ }
      await refreshTable(location.href, false);
      say(message, "error");
      return false;
    }
    rotateBody.innerHTML = await response.text();
    rotateDialog.dataset.generated = "";
    rotateDialog.removeAttribute("data-copied");
    openDialog(rotateDialog, opener);
    return true;
  }

  // ---- Revoke: confirm naming the token, then post ----
  const revokeDialog = document.getElementById("revoke-dialog");
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-revoke]");
    if (!link || !revokeDialog) return;
    event.preventDefault();
    revokeDialog.querySelector("[data-revoke-name]").textContent = link.dataset.tokenName;
    revokeDialog.querySelector("form").action = link.href;
    openDialog(revokeDialog, link);
    revokeDialog.querySelector("button[type=submit]").focus();
  });
  revokeDialog?.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: FETCH, credentials: "same-origin" });
    if (await sessionEnded(response)) return;
    const body = await response.json();
    revokeDialog.close();
    await refreshTable(location.href, false);
    // Said where the person is: focus (and the screen) goes to the message.
    keepFocus(say(body.message, response.ok ? "success" : "error"));
  });

  // ---- Table: filter, search, sort and pages without a reload; the URL keeps the view ----
  const region = document.getElementById("token-table");
  async function refreshTable(url, push = true) {
    if (!region) return;
    const response = await fetch(url, { headers: FETCH, credentials: "same-origin" });
    if (await sessionEnded(response)) return;
    region.innerHTML = await response.text();
    if (push && url !== location.href) history.pushState({}, "", url);
  }
  const filters = document.querySelector("form[data-live-filter]");
  function filterUrl() {
    const params = new URLSearchParams(new FormData(filters));
    for (const [key, value] of [...params]) if (!value) params.delete(key);
    const query = params.toString();
    return `${filters.action}${query ? `?${query}` : ""}`;
  }
  let typing;
  filters?.addEventListener("change", () => refreshTable(filterUrl()));
  filters?.addEventListener("input", (event) => {
    if (event.target.name !== "search") return;
    clearTimeout(typing);
    typing = setTimeout(() => refreshTable(filterUrl()), 250);
  });
  filters?.addEventListener("submit", (event) => { event.preventDefault(); refreshTable(filterUrl()); });
  region?.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-table-link]");
    if (!link) return;
    event.preventDefault();
    const url = new URL(link.href);
    const rel = link.getAttribute("rel");
    const sortKey = new URL(link.href).searchParams.get("ordering");
    refreshTable(url.href).then(() => {
      // Focus stays on what was pressed (the same column's sort, the same page link), or
      // goes to the count; never to <body>.
      const again = rel ? region.querySelector(`a[rel=${rel}]`) || region.querySelector("a[rel]")
        : [...region.querySelectorAll("th a.sort")].find((a) => {
          const key = new URL(a.href).searchParams.get("ordering") || "";
          return key.replace(/^-/, "") === (sortKey || "").replace(/^-/, "");
        });
      keepFocus(again);
      if (!filters) return;
      // Keep the filter form in step with the link, so the next filter keeps this sort.
      let ordering = filters.querySelector("input[name=ordering]");
      if (!ordering) {
        ordering = Object.assign(document.createElement("input"), { type: "hidden", name: "ordering" });
        filters.append(ordering);
      }
      ordering.value = url.searchParams.get("ordering") || "";
      const status = url.searchParams.get("status") || "";
      filters.querySelectorAll("input[name=status]").forEach((r) => { r.checked = r.value === status; });
      filters.querySelector("input[name=search]").value = url.searchParams.get("search") || "";
    });
  });
  window.addEventListener("popstate", () => { if (region) location.reload(); });

  enableCopyButtons(document);

  // Back from signing in (the session had ended, or the sign-in was too old to mint) while
  // Generate or Regenerate was being sent: the dialog opens again with every choice as it
  // was, to be sent with one more click. If any choice cannot be put back as it was, it does
  // not open at all: a dialog must never come back wider than what was chosen.
  // (Only on the page that has the dialogs: the sign-in and confirmation pages leave it.)
  const pending = sessionStorage.getItem(PENDING);
  if (pending !== null && (generateDialog || rotateDialog)) {
    sessionStorage.removeItem(PENDING);
    restorePending(pending);
  }

  async function restorePending(saved) {
    let state;
    try { state = JSON.parse(saved); } catch { return; }
    if (!state || typeof state !== "object") return;
    let dialog, form;
    if (state.dialog === "generate-dialog" && generateDialog) {
      resetGenerate(generateDialog);
      dialog = generateDialog;
      form = generateBody.querySelector("form");
    } else if (state.dialog === "rotate-dialog" && rotateDialog && typeof state.href === "string"
               && new URL(state.href, location.href).origin === location.origin) {
      if (!(await openRotate(state.href))) return;
      dialog = rotateDialog;
      form = rotateBody.querySelector("form");
    } else {
      return;
    }
    if (!form || !restoreChoices(form, state.choices)) {
      if (dialog.open) dialog.close();
      say("Nothing was generated: your choices could not be put back. Start again.", "error");
      return;
    }
    if (!dialog.open) openDialog(dialog);
    showExpiryDate(form);
    const note = document.createElement("p");
    note.className = "message warning";
    note.setAttribute("role", "status");
    note.textContent = "Nothing was generated yet: you had to sign in again first. Every choice is as you left it: check them and send again.";
    form.prepend(note);
    form.querySelector("input:not([type=hidden]), select")?.focus();
  }

  // A form's choices as {name: [values]}, without the CSRF token and the one-time key.
  function formChoices(form) {
    const choices = {};
    for (const [name, value] of new FormData(form)) {
      if (name === "csrfmiddlewaretoken" || name === "submission") continue;
      (choices[name] ||= []).push(String(value));
    }
    return choices;
  }

  // Puts `choices` (formChoices) back into the form; false if any of it has no place there
  // (an option that is gone, say), in which case the form is left as it was.
  function restoreChoices(form, choices) {
    if (!choices || typeof choices !== "object") return false;
    const fields = Array.from(form.elements).filter((el) => el.name && el.name in choices);
    for (const [name, values] of Object.entries(choices)) {
      if (!Array.isArray(values)) return false;
      const matching = fields.filter((el) => el.name === name);
      if (!matching.length) return false;
      for (const value of values) {
        const fits = matching.some((el) => (el.type === "checkbox" || el.type === "radio")
          ? el.value === value
          : el.tagName !== "SELECT" || Array.from(el.options).some((o) => o.value === value));
        if (!fits) return false;
      }
    }
    form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach((el) => {
      if (el.name in choices || el.type === "checkbox") el.checked = (choices[el.name] || []).includes(el.value);
    });
    fields.filter((el) => el.type !== "checkbox" && el.type !== "radio").forEach((el) => { el.value = choices[el.name][0]; });
    return true;
  }
})();
