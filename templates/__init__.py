"""Jinja2 templates for the pages, installed as the package `retrotrack.templates`."""
