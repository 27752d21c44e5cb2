"""The trainer process: the loop and its parts, the resident sessions and their frames."""
