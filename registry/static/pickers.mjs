// Pickers (issue 18): suggestions for a field where a record is chosen by typing. Each
// <input data-suggest="/api/v1/suggest/..." list="...-suggestions"> gets the closest records
// as options of its <datalist> while the person types. Without this script the field still
// takes a name, other name, number or code, and a refusal lists the closest matches.
const DELAY_MS = 200;
const MIN_LENGTH = 2;

function attach(input) {
  const list = document.getElementById(input.getAttribute("list"));
  if (!list) return;
  const frameworkId = input.dataset.suggestFramework;
  let timer = null;
  let pending = null;

  // An organisation field: the buyers for an officer, the suppliers for a supplier user.
  function address() {
    const roleId = input.dataset.suggestRole;
    if (!roleId) return input.dataset.suggest;
    const role = document.getElementById(roleId);
    return role ? input.getAttribute(`data-suggest-${role.value}`) : null;
  }

  async function fetchSuggestions() {
    const path = address();
    if (!path) {
      list.replaceChildren();
      return;
    }
    const url = new URL(path, window.location.href);
    url.searchParams.set("q", input.value);
    if (frameworkId) {
      const framework = document.getElementById(frameworkId);
      if (!framework || !framework.value.trim()) return;
      url.searchParams.set("framework", framework.value);
    } else if (input.value.trim().length < MIN_LENGTH) {
      return;
    }
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(url, {
        signal: pending.signal,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const body = await response.json();
      list.replaceChildren(
        ...body.suggestions.map((suggestion) => {
          const option = document.createElement("option");
          option.value = suggestion.value;
          option.label = suggestion.label;
          option.textContent = suggestion.label;
          return option;
        }),
      );
    } catch (error) {
      // Offline or superseded by the next keystroke: the plain field still works.
    }
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, DELAY_MS);
  }

  input.addEventListener("input", later);
  if (frameworkId) input.addEventListener("focus", later);
}

document.querySelectorAll("input[data-suggest]").forEach(attach);
