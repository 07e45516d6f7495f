// Starts Swagger UI on /api/docs (a file, not an inline script: the CSP allows only 'self').
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    validatorUrl: null,  // the default badge would call validator.swagger.io
    deepLinking: true,
  });
});
