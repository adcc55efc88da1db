"""FOIA Tracker: draft, file and track public-records requests.

The application is built by `foia.factory.create_app`. This package file imports nothing, so that
using a part of it (the pure deadline engine `foia.deadlines`, the mail library `foia.mail`) does
not load Flask and every feature.
"""
