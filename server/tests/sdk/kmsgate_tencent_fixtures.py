"""pytest fixtures for the Tencent SDK tests (issue #4), loaded by conftest.py."""
