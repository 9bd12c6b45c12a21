"""Tiny random causal LMs for fast tests (built offline in well under 2 s); see `codealign.models.make_tiny_model`."""

from codealign.models import make_tiny_model, smollm2_tokenizer_dir

__all__ = ["make_tiny_model", "smollm2_tokenizer_dir"]
