"""The HTTP API's parts: the guard before routing, the JSON answers, and one router per resource.

``functions/api/app.py`` builds the resolver and includes the routers; a new resource is a new
``routes_<resource>.py`` with a ``router`` of its own.
"""
