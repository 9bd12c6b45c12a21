"""codealign: align coding assistants with static analysis, Constitutional-AI data and RL fine-tuning."""

__version__ = "0.1.0"
