"""The hosted classroom: teachers' accounts, lessons, classrooms with join codes, students'
seats, and who may do what to which session.

- ``tokens``: random ids, secret tokens (stored as hashes), join codes, name folding.
- ``accounts``: teachers, argon2 password hashes, browser logins and bearer tokens.
- ``controls``: the controls a lesson locks or frees, and which command needs which.
- ``rooms``: lessons, classrooms and seats in the store (plain SQL, no sessions).
- ``access``: who is asking (teacher, student seats) and what they may do to a session.
- ``teaching``: what touches students' sessions: seating, pacing, pushing a lesson, exports.
"""
