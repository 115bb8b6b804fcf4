"""Race timing: a config and entries in, statuses, times, places and pages out."""

from retrotrack.race.run import run_race, time_track, write_race_outputs

__all__ = ["run_race", "time_track", "write_race_outputs"]
