"""Response renderers of the REST API."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages of the API, the one place inline styles are allowed.

    Its template sets style attributes and a <style> block of code highlighting, but
    runs no inline script: script-src stays 'self'. Every other page keeps the strict
    policy of CONTENT_SECURITY_POLICY (docs/security.md).
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        html = super().render(data, accepted_media_type, renderer_context)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src": ["'unsafe-inline'"]}  # read by django-csp
        return html
