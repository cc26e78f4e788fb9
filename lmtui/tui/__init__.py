"""The Textual interface: the app, its screens and widgets, styles, key hints, the command palette
and the registry of upstream work-arounds. It renders the core's data and sends back the learner's actions."""
