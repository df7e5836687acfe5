ARGS = {
    "stats_petition": lambda w: {"pk": w["petition"].pk},
    "stats_action": lambda w: {"pk": w["action"].pk},
}
