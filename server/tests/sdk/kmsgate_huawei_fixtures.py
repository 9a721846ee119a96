"""pytest fixtures for the Huawei SDK tests (issue #5), loaded by conftest.py."""
