"""Workspace addresses of delivery and exports, for the access test."""

from outcry.organiser.models import Delivery


def _delivery(w, *, petition=None, action=None):
    target = petition.target if petition else action.targets.first()
    return Delivery.objects.create(petition=petition, action=action, target=target, count=0).pk


ARGS = {
    "delivery_petition": lambda w: {"pk": w["petition"].pk},
    "delivery_petition_send": lambda w: {"pk": w["petition"].pk},
    "delivery_petition_response": lambda w: {"pk": w["petition"].pk},
    "delivery_petition_won": lambda w: {"pk": w["petition"].pk},
    "delivery_petition_packet": lambda w: {"pk": w["petition"].pk},
    "delivery_petition_logged": lambda w: {
        "pk": w["petition"].pk,
        "delivery": _delivery(w, petition=w["petition"]),
    },
    "delivery_export_signatures": lambda w: {"pk": w["petition"].pk},
    "delivery_action": lambda w: {"pk": w["action"].pk},
    "delivery_action_send": lambda w: {"pk": w["action"].pk},
    "delivery_action_packet": lambda w: {"pk": w["action"].pk},
    "delivery_action_logged": lambda w: {
        "pk": w["action"].pk,
        "delivery": _delivery(w, action=w["action"]),
    },
    "delivery_export_reports": lambda w: {"pk": w["action"].pk},
}
