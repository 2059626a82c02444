from rest_framework import mixins, viewsets

from progress.models import Enrollment
from progress.serializers import EnrollmentSerializer


class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My enrollments; another user's id is a 404."""

    serializer_class = EnrollmentSerializer
    filterset_fields = ["course"]

    def get_queryset(self):
        return Enrollment.objects.filter(user=self.request.user).order_by("-enrolled_at", "-id")
