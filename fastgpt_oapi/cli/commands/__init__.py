"""One module per command group; `app.py` registers each with one line."""
