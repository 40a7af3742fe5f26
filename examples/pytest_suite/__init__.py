"""A pytest suite for a small app built on fastgpt-oapi (`examples/chatbot.py`), against `FakeFastGPT`.

Run it from the repository root with `pytest examples/pytest_suite`: its own `pytest.ini` applies.
"""
