"""Middleware of the project."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware:
    """WhiteNoise, usable on the async request path.

    WhiteNoise's own middleware is sync-only, which would make Django run every
    async view (the long-polling fallback) inside the one shared sync thread
    and block all other sync work for as long as a poll is held. Here only
    requests for static files touch WhiteNoise; everything else passes through.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.whitenoise = WhiteNoiseMiddleware(get_response)
        self.prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def static_response(self, request):
        """WhiteNoise's response for a static file, or None."""
        whitenoise = self.whitenoise
        if whitenoise.autorefresh:
            static_file = whitenoise.find_file(request.path_info)
        else:
            static_file = whitenoise.files.get(request.path_info)
        return None if static_file is None else whitenoise.serve(static_file, request)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if request.path_info.startswith(self.prefix):
            response = self.static_response(request)
            if response is not None:
                return response
        return self.get_response(request)

    async def __acall__(self, request):
        if request.path_info.startswith(self.prefix):
            response = await sync_to_async(self.static_response, thread_sensitive=False)(request)
            if response is not None:
                return response
        return await self.get_response(request)
