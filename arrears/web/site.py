"""The web interface mounted on the app: the pages at ``/``, their static files at ``/static/``,
and errors on a page shown as pages (call :func:`install` after the API's problem handlers)."""

from __future__ import annotations

from fastapi import FastAPI

from arrears.web import (
    admin_pages,
    assets,
    case_forms,
    compliance_pages,
    dashboard,
    errors,
    experiment_pages,
    model_pages,
    pages,
    portal,
    qa_pages,
    simulation_pages,
    strategy_pages,
    supervise,
)


def install(app: FastAPI) -> None:
    app.include_router(pages.router)
    app.include_router(supervise.router)
    app.include_router(compliance_pages.router)
    app.include_router(qa_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(dashboard.router)
    app.include_router(case_forms.router)
    app.include_router(strategy_pages.router)
    app.include_router(experiment_pages.router)
    app.include_router(simulation_pages.router)
    app.include_router(model_pages.router)
    app.include_router(portal.router)
    app.mount(assets.PREFIX, assets.VersionedStatic(), name="static")
    errors.install(app)
