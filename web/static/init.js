// Marks the page as able to run GOV.UK Frontend's components (what the
// template's inline script does; here as a file so the CSP needs no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
