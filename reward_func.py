"""OpenRLHF custom reward function backed by codealign's reward (`codealign.rewards.SafetyReward`).

    --remote_rm_url /path/to/codealign/reward_func.py --label_key category

OpenRLHF loads this file and calls `reward_func(queries, prompts, labels)` on every micro rollout batch:
`queries` are the full decoded sequences (chat-templated prompt + response), `prompts` the templated prompt
strings, `labels` the `--label_key` column of each sample. A label is a category (`harmful`, `antipattern`,
`borderline`, `benign`), a JSON object `{"category": "harmful", "lang": "zh"}`, or empty (benign); anything
else raises, so a wrong `--label_key` fails on the first batch instead of scoring everything as benign.

Returns OpenRLHF's reward dict of float32 tensors of shape (len(queries),):
  rewards     the codealign reward (used for advantages), in the reward bounds (default [-1, 1]; plus up to
              +-weight with a learned reward model)
  scores      the reward rescaled from the bounds to [0, 1] (used by --dynamic_filtering)
  extra_logs  {"codealign/<component>": per-sample component, "codealign/split_fallback": 1 where the query
              did not start with its prompt} (logged by OpenRLHF)
OpenRLHF releases that expect a bare tensor: set CODEALIGN_REWARD_FORMAT=tensor (rewards only).

Configuration (environment; pass it to Ray workers with --runtime-env-json '{"env_vars": {...}}'):
  CODEALIGN_WEIGHTS             reward weights TOML (default rules/rewards.toml)
  CODEALIGN_REWARD_MODEL        learned preference model folder (`codealign train reward`, <stage>/model)
  CODEALIGN_REWARD_MODEL_WEIGHT its weight (default 0.5)
  CODEALIGN_REWARD_FORMAT       "dict" (default) or "tensor"
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

try:
    import codealign  # noqa: F401 - installed (pip install -e .) in the Ray workers' environment
except ImportError:  # run from a checkout that is not installed: use the package next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from codealign.serving import JudgedReward, openrlhf_rewards  # noqa: E402


@lru_cache(maxsize=1)
def _reward() -> JudgedReward:
    """One reward per worker process, built on first use from the environment."""
    return JudgedReward(
        weights=os.environ.get("CODEALIGN_WEIGHTS") or None,
        preference_model=os.environ.get("CODEALIGN_REWARD_MODEL") or None,
        preference_weight=float(os.environ.get("CODEALIGN_REWARD_MODEL_WEIGHT") or 0.5),
    )


def reward_func(queries, prompts, labels=None, **kwargs):
    """OpenRLHF's reward function contract (see the module docstring)."""
    import torch  # noqa: PLC0415 - OpenRLHF's environment always has it; codealign's review path does not

    result = openrlhf_rewards(_reward(), queries, prompts, labels)
    rewards = torch.tensor(result["rewards"], dtype=torch.float32)
    if os.environ.get("CODEALIGN_REWARD_FORMAT", "dict").lower() == "tensor":
        return rewards
    return {
        "rewards": rewards,
        "scores": torch.tensor(result["scores"], dtype=torch.float32),
        "extra_logs": {name: torch.tensor(values, dtype=torch.float32)
                       for name, values in result["extra_logs"].items()},
    }
