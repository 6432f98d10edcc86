// /api/v1/docs: Swagger UI on the OpenAPI document (no inline script under the CSP).
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({ url: root.dataset.spec, domNode: root });
