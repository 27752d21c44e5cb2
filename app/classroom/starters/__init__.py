"""The starter activities that ship with the playground: lesson files (app.classroom.library)."""
