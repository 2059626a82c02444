"""`{% message_content message %}`: a thread message's text, escaped, with its @mentions shown."""

from django import template

from discussions.mentions import message_mentions, render_mentions

register = template.Library()


@register.simple_tag(takes_context=True)
def message_content(context, message):
    user = context.get("user")
    return render_mentions(
        message.content,
        message_mentions(message),
        viewer_id=getattr(user, "pk", None),
    )
