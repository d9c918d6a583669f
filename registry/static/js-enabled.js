// GOV.UK Frontend's body classes, set before the page is drawn (was an inline script: the CSP
// allows none, and a cached page cannot carry a per-request nonce).
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
