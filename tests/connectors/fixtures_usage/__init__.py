"""Fake vendor servers and payload builders for the usage/support connector tests."""
