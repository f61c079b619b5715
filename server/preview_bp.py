"""Registers the widget preview page when its module is present."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Mount the preview blueprint (server.preview) at /preview."""
    try:
        from server.preview import bp
    except ImportError:  # the preview page ships with the extension code
        return
    app.register_blueprint(bp)
