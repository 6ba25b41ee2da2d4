"""Tools for the people who write guides: guide tests, diffs, JSON schemas, a new project."""
