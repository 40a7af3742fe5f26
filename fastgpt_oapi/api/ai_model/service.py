"""`client.ai_model`: the models a key may use (FastGPT >= 4.18.0), sync and async."""

from __future__ import annotations

from ._calls import AIModelCalls

__all__ = ["AIModelService"]


class AIModelService(AIModelCalls):
    """The model catalog and model summaries. Both take a personal API key; a server before FastGPT
    4.18.0 answers them with 404 (`NotFoundError`)."""
