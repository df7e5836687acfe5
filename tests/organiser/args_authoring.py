ARGS = {
    "authoring_petition_new": lambda w: {},
    "authoring_petition_edit": lambda w: {"pk": w["petition"].pk},
    "authoring_petition_close": lambda w: {"pk": w["petition"].pk},
    "authoring_petition_archive": lambda w: {"pk": w["petition"].pk},
    "authoring_action_new": lambda w: {},
    "authoring_action_edit": lambda w: {"pk": w["action"].pk},
    "authoring_action_close": lambda w: {"pk": w["action"].pk},
    "authoring_action_archive": lambda w: {"pk": w["action"].pk},
    "authoring_targets": lambda w: {},
    "authoring_target_edit": lambda w: {"pk": w["petition"].target_id},
    "authoring_preview": lambda w: {},
}
