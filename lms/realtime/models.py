from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class TopicCounter(models.Model):
    """Last event id handed out on a topic; its row lock orders writers to the topic."""

    topic = models.CharField(max_length=200, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.topic} @ {self.last_id}"


class Event(models.Model):
    """A published event, kept for replay to clients that reconnect with `since`."""

    topic = models.CharField(max_length=200)
    seq = models.BigIntegerField()
    event = models.CharField(max_length=100)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "seq"], name="event_topic_seq")]

    def __str__(self) -> str:
        return f"{self.topic}#{self.seq} {self.event}"
