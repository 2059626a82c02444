from rest_framework.routers import SimpleRouter

from progress import api

router = SimpleRouter()
router.register("enrollments", api.EnrollmentViewSet, basename="enrollment")

urlpatterns = router.urls
