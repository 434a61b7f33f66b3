"""Turns structured answers into web markdown and into channel data."""
