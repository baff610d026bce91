"""The web page people use: static files served by the ApiFunction at ``/`` and ``/app/*``."""
