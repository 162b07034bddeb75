"""Reading replies: labels written in a description, one-line and looping values, learned choice
offsets, which parse fallbacks pay, and the field header as read back."""
