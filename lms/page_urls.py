from lms import views  # noqa: F401

urlpatterns: list = []
