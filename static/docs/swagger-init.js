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
    // Swagger UI puts the operations in a <main> and the API's title and description above it
    // in no landmark: name that part the page's banner, so all of the page is in a landmark.
    onComplete: () => {
      document.querySelector("#swagger-ui .information-container")?.setAttribute("role", "banner");
    },
  });
});
