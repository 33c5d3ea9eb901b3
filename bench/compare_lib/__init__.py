"""Helpers for bench/compare: installing the peers, private server instances, runs and reports."""
