"""All performance figures in one table, each a ratio against a peer measured in the same run.

    .venv/bin/python bench/run_all.py [--model embedded] [--only review,reward,generation,training] [--fresh]

Parts (each is also a script of its own in bench/):
- review      `codealign review` vs `bandit -r` on the installed trl package (review_speed.py)
- reward      responses judged per second on one core (reward_speed.py) and, from `training`, the reward's
              share of a GRPO step
- generation  batched vs one-at-a-time generation on the embedded model (generation_speed.py)
- training    codealign's DPO step vs plain TRL's, and the reward's share of a GRPO step (training_speed.py)

Each finished part is saved in `bench/.results/` and skipped when run_all runs again (a crash or Ctrl-C
loses only the part in progress); `--fresh` measures everything again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = HERE / ".results"
PARTS = ("review", "reward", "generation", "training")


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"bench/{script} failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def measure(part: str, model: str) -> dict:
    json_out = STATE / f"{part}.raw.json"
    if part == "review":
        _run("review_speed.py", "--json", str(json_out))
        rows = {row["tool"]: row for row in json.loads(json_out.read_text())["rows"]}
        bandit, one, two = (rows[k] for k in list(rows)[:3])
        return {"bandit_s": bandit["seconds"], "codealign_jobs1_s": one["seconds"], "codealign_jobs2_s": two["seconds"],
                "files": bandit["files"], "ratio_jobs1": one["vs_bandit"], "ratio_jobs2": two["vs_bandit"]}
    if part == "reward":
        out = _run("reward_speed.py", "-n", "400")
        return {"responses_per_s": float(out.split(" responses/s")[0].split()[-1])}
    if part == "generation":
        out = _run("generation_speed.py", "--model", model, "--json")
        return json.loads(out.strip().splitlines()[-1])
    if part == "training":
        _run("training_speed.py", "--model", model, "--json", str(json_out))
        return json.loads(json_out.read_text())
    raise SystemExit(f"unknown part {part!r} (choose from {', '.join(PARTS)})")


def table(results: dict) -> str:
    rows = [("measure", "codealign", "peer (same run)", "ratio", "target")]
    if "review" in results:
        r = results["review"]
        rows.append((f"review {r['files']} files, --jobs 1", f"{r['codealign_jobs1_s']:.1f} s", f"bandit -r {r['bandit_s']:.1f} s",
                     f"{r['ratio_jobs1']:.2f}x", "<= 1.5x"))
        rows.append(("review, --jobs 2", f"{r['codealign_jobs2_s']:.1f} s", f"bandit -r {r['bandit_s']:.1f} s",
                     f"{r['ratio_jobs2']:.2f}x", "< 1.0x"))
    if "reward" in results:
        rate = results["reward"]["responses_per_s"]
        rows.append(("reward scoring, 1 core", f"{rate:.0f} responses/s", "target 500/s", f"{rate / 500:.2f}x", ">= 1.0x"))
    if "training" in results:
        t = results["training"]
        rows.append(("reward share of a GRPO step", f"{t['reward_seconds_per_step'] * 1000:.0f} ms",
                     f"GRPO step {t['step_seconds']:.1f} s", f"{t['reward_share'] * 100:.2f}%", "< 5%"))
        rows.append(("DPO step (2 pairs, cpu preset tuning)", f"{t['dpo_codealign_s_per_step']:.2f} s",
                     f"plain TRL {t['dpo_plain_trl_s_per_step']:.2f} s", f"{t['dpo_ratio']:.2f}x", "~1.0x"))
    if "generation" in results:
        g = results["generation"]
        rows.append((f"generation, batch {g['batched']['batch_size']}", f"{g['batched']['tokens_per_s']:.1f} tok/s",
                     f"one at a time {g['single']['tokens_per_s']:.1f} tok/s", f"{g['speedup']:.2f}x", "> 1.0x"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded", help="model for the generation and training parts")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts ({', '.join(PARTS)})")
    parser.add_argument("--fresh", action="store_true", help="measure again even the parts already saved")
    args = parser.parse_args(argv)
    STATE.mkdir(exist_ok=True)
    results = {}
    for part in [p.strip() for p in args.only.split(",") if p.strip()]:
        saved = STATE / f"{part}.json"
        if saved.exists() and not args.fresh:
            results[part] = json.loads(saved.read_text())
            print(f"{part}: saved result (use --fresh to measure again)", file=sys.stderr)
            continue
        print(f"{part}: measuring ...", file=sys.stderr)
        results[part] = measure(part, args.model)
        saved.write_text(json.dumps(results[part], indent=2) + "\n")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {load:.1f} at the end")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
