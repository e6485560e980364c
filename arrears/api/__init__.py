"""The HTTP API: the app factory, how a request is signed in and checked, and errors as problems.

Each bounded context keeps its own routes in ``<context>/api.py``; this package assembles them
under ``/api/v1`` (:func:`arrears.api.app.create_app`).
"""
