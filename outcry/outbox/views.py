from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from outcry.outbox.models import Message
from outcry.outbox.services import render as render_message


def local_mail_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.LOCAL_MAIL:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@local_mail_only
def mailbox(request):
    messages = Message.objects.filter(state=Message.State.SENT)[:100]
    rows = [(m, render_message(m)) for m in messages]
    return render(request, "outbox/mailbox.html", {"rows": rows})


@local_mail_only
def mailbox_message(request, pk):
    message = get_object_or_404(Message, pk=pk, state=Message.State.SENT)
    return render(
        request, "outbox/message.html", {"message": message, "email": render_message(message)}
    )
