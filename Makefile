# Maintenance of the template itself; the rendered project has its own Makefile.
PYTHON ?= python3

.PHONY: help release

help:
	@echo "make release VERSION=X.Y.Z   bump _template_version, date the CHANGELOG's Unreleased section, commit, tag vX.Y.Z"

# Standard library only: works from a fresh clone, before any virtual environment exists.
release:
	@$(PYTHON) .ci/release.py "$(VERSION)"
