"""Tests that cross apps: a member's pages with collectives in them, the tick
jobs the apps register, the API's view of members, the demo's members.

They live outside ``src/mutualist/<app>/tests`` because a test inside an app
may import only that app and the ones it depends on (DESIGN.md's arrows).
"""
