"""Data for the feedback tests (issue 17): correct alternative solutions per chapter."""
