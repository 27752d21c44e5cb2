// Submits the form marked data-autosubmit once the page has loaded: deep linking's answer goes
// back to the LMS without a click (the button stays for browsers without scripts).
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.submit();
}
