"""The JSON API under /api/v1 (issue 16): personal API tokens, the requests, communications, documents and agencies
endpoints (flask-smorest blueprints with marshmallow schemas), their OpenAPI 3.1 document and a docs page.

`foia.api.setup.init_api(app)` wires it into the app; this file imports nothing."""
