"""Choice calibration: after a compile, fit per-label offsets so a choice output's scores
match how often each label is right (a post-compile step every optimizer gets)."""
