// Starts Swagger UI on /docs (app/routers/docs.py) from the vendored bundle: an external
// script, so that the page keeps the Content-Security-Policy without inline script.
const openapi = document.currentScript.dataset.openapi;
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
