"""The Litestar API: one package per bounded context (routes, service, repository, schemas)."""
