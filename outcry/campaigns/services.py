from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from outcry.actions.services import held_reports
from outcry.campaigns.models import Comment, CommentFlag, Organisation, Petition
from outcry.organiser.services import audit
from outcry.privacy.digest import email_digest


def post_comment(*, petition: Petition, name: str, email: str, text: str) -> Comment:
    """Take a comment, shown at once or held, as the petition's organisers chose."""
    status = Comment.Status.PENDING if petition.comments_premoderated else Comment.Status.APPROVED
    return Comment.objects.create(
        petition=petition,
        name=name,
        email=email,
        email_digest=email_digest(email),
        text=text.strip(),
        status=status,
    )


def close_petition(*, petition: Petition, now=None) -> None:
    if petition.closed_at is None:
        now = now or timezone.now()
        Petition.objects.filter(pk=petition.pk).update(closed_at=now, modified_at=now)


# Moderation: the public reports comments, moderators decide on comments and on
# urgent-action reports held for review. Every organiser decision is audited.

FLAGGED_SESSION_KEY = "flagged_comments"
FLAGGED_REMEMBERED = 200  # the session remembers this many reported comments
FLAG_REASON_MAX = CommentFlag._meta.get_field("reason").max_length

# What a moderator may do with comments, and the status each decision gives.
COMMENT_DECISIONS = {
    "approve": Comment.Status.APPROVED,
    "reject": Comment.Status.REJECTED,
    "spam": Comment.Status.SPAM,
}
COMMENT_VERBS = {
    "approve": "approved comments",
    "reject": "rejected comments",
    "spam": "marked comments as spam",
}


def reportable_comment(*, slug: str, pk: int) -> Comment | None:
    """A comment the public can see, and so report: approved, on a published petition."""
    return (
        Comment.objects.select_related("petition")
        .filter(
            pk=pk,
            petition__slug=slug,
            petition__in=Petition.objects.published(),
            status=Comment.Status.APPROVED,
        )
        .first()
    )


def already_flagged(*, comment: Comment, session) -> bool:
    return comment.pk in session.get(FLAGGED_SESSION_KEY, [])


def flag_comment(*, comment: Comment, reason: str, session) -> bool:
    """Record a visitor's report, once per comment per browser session.

    The comment stays visible: only a moderator hides it. Returns whether a new
    report was recorded. The session check stops a repeated click, not a
    determined stuffer; the queue shows counts, and moderators judge content.
    """
    if already_flagged(comment=comment, session=session):
        return False
    CommentFlag.objects.create(comment=comment, reason=reason.strip()[:FLAG_REASON_MAX])
    flagged = session.get(FLAGGED_SESSION_KEY, [])
    session[FLAGGED_SESSION_KEY] = [*flagged, comment.pk][-FLAGGED_REMEMBERED:]
    return True


def pending_comments(*, organisation: Organisation, petition_id: int | None = None):
    comments = Comment.objects.filter(
        petition__organisation=organisation, status=Comment.Status.PENDING
    )
    if petition_id is not None:
        comments = comments.filter(petition_id=petition_id)
    return comments.select_related("petition").order_by("-created_at", "-id")


def reported_comments(*, organisation: Organisation):
    """Approved comments with reports no moderator has handled, most reported first."""
    unhandled = Q(flags__handled_at__isnull=True)
    return (
        Comment.objects.filter(petition__organisation=organisation, status=Comment.Status.APPROVED)
        .annotate(
            open_flag_count=Count("flags", filter=unhandled),
            last_flagged_at=Max("flags__created_at", filter=unhandled),
        )
        .filter(open_flag_count__gt=0)
        .select_related("petition")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=CommentFlag.objects.filter(handled_at__isnull=True).order_by(
                    "created_at", "id"
                ),
                to_attr="open_flags",
            )
        )
        .order_by("-open_flag_count", "-last_flagged_at", "-id")
    )


def moderation_counts(*, organisation: Organisation) -> dict[str, int]:
    return {
        "pending": pending_comments(organisation=organisation).count(),
        "reported": Comment.objects.filter(
            petition__organisation=organisation,
            status=Comment.Status.APPROVED,
            flags__handled_at__isnull=True,
        )
        .distinct()
        .count(),
        "held": held_reports(organisation=organisation).count(),
    }


def moderate_comments(
    *, organisation: Organisation, ids: list[int], decision: str, user, now=None
) -> int:
    """Give the organisation's comments among `ids` the decision's status.

    Ids of other organisations' comments are ignored. Any decision also closes
    the visitors' reports on those comments: "approve" on a reported comment
    keeps it. Returns how many comments were decided.
    """
    status = COMMENT_DECISIONS[decision]
    now = now or timezone.now()
    with transaction.atomic():
        decided = list(
            Comment.objects.select_for_update(of=("self",))
            .filter(petition__organisation=organisation, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not decided:
            return 0
        Comment.objects.filter(pk__in=decided).update(status=status)
        handled = CommentFlag.objects.filter(comment__in=decided, handled_at__isnull=True).update(
            handled_at=now
        )
        audit(
            organisation=organisation,
            user=user,
            verb=COMMENT_VERBS[decision],
            subject=f"{len(decided)} comment(s)",
            ids=decided,
            reports_handled=handled,
        )
    return len(decided)
