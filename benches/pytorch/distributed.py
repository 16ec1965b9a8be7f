"""W3 data-parallel: nabla on 1 process x 2 threads and on 2 MPI ranks x 1 thread, against
PyTorch on 1 process x 2 threads and DDP (gloo) on 2 ranks x 1 thread, in one run on one
machine (docs/distributed.md's table).

Setup (once): the venv of compare.py (torch, numpy) and Open MPI (Debian: openmpi-bin,
libopenmpi-dev, libclang-dev). Then, from the repository root:
    cargo build --release -p nabla-distributed --features mpi --example w3_data_parallel
    /tmp/torchenv/bin/python benches/pytorch/distributed.py [--runs 5] [--seconds 8]

Each round runs the four configurations one after another, in a process (or job) of its own,
each timing W3's step (global batch 64, Adam, flush-to-zero) for --seconds after a warm-up;
the rounds alternate the order. It prints each configuration's median steps/s with its range,
the ratios the bars in issue 24 name, and nabla's averaging time and bytes per step.

Run as `torchrun --nproc_per_node 2 benches/pytorch/distributed.py --worker` it is PyTorch's
DDP worker; with `--worker` alone, PyTorch's single process.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NABLA = ROOT / "target" / "release" / "examples" / "w3_data_parallel"
ROOT_OK = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
GLOBAL_BATCH = 64


def worker(threads, seconds):
    """W3's step on this process; under torchrun, one DDP rank of a global batch of 64."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    rank, size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    torch.manual_seed(3 + rank)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    if size > 1:
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        dist.init_process_group("gloo")
        model = DistributedDataParallel(model)
    opt = torch.optim.Adam(model.parameters())
    per_rank = GLOBAL_BATCH // size
    x = torch.rand(per_rank, 1, 28, 28)
    y = (torch.arange(per_rank) + rank * per_rank) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    if size > 1:
        dist.barrier()
    start, steps = time.perf_counter(), 0
    while True:
        step()
        steps += 1
        stop = torch.tensor([float(time.perf_counter() - start >= seconds)])
        if size > 1:
            dist.broadcast(stop, 0)  # every rank takes the same number of steps
        if stop.item() > 0:
            break
    elapsed = time.perf_counter() - start
    if rank == 0:
        print(json.dumps({"side": "pytorch", "ranks": size, "threads": threads, "steps": steps,
                          "steps_per_s": steps / elapsed}))
    if size > 1:
        dist.destroy_process_group()


def last_json(output):
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no result in:\n{output}")


def run(command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return last_json(result.stdout)


def configurations(seconds):
    me = [sys.executable, str(Path(__file__).resolve()), "--worker", "--seconds", str(seconds)]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29511"]
    return {
        "nabla 1x2": lambda: run([NABLA, "--threads", "2", "--seconds", str(seconds)]),
        "nabla 2x1": lambda: run(["mpirun", "--oversubscribe", "-np", "2", NABLA, "--threads", "1",
                                  "--seconds", str(seconds)], ROOT_OK),
        "pytorch 1x2": lambda: run(me + ["--threads", "2"]),
        "pytorch DDP 2x1": lambda: run(torchrun + me[1:] + ["--threads", "1"], {"OMP_NUM_THREADS": "1"}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.worker:
        return worker(args.threads, args.seconds)
    if not NABLA.exists():
        sys.exit(f"build {NABLA} first: cargo build --release -p nabla-distributed --features mpi "
                 "--example w3_data_parallel")
    configs = configurations(args.seconds)
    results = {name: [] for name in configs}
    names = list(configs)
    for r in range(args.runs):
        for name in names if r % 2 == 0 else reversed(names):
            results[name].append(configs[name]())
            print(f"round {r + 1}: {name}: {results[name][-1]['steps_per_s']:.2f} steps/s", file=sys.stderr)
    median = {name: statistics.median(x["steps_per_s"] for x in runs) for name, runs in results.items()}
    print(f"W3, global batch 64, {args.runs} rounds of {args.seconds:.0f} s; steps/s median (range)")
    for name, runs in results.items():
        values = [x["steps_per_s"] for x in runs]
        print(f"  {name:<16} {median[name]:7.2f}  ({min(values):.2f}-{max(values):.2f})")
    print(f"nabla 2 ranks / nabla 1 process:        {median['nabla 2x1'] / median['nabla 1x2']:.2f}  (bar >= 0.9)")
    print(f"nabla 2 ranks / PyTorch DDP 2 ranks:    {median['nabla 2x1'] / median['pytorch DDP 2x1']:.2f}  (bar >= 1.0)")
    print(f"PyTorch DDP 2 ranks / PyTorch 1 process: {median['pytorch DDP 2x1'] / median['pytorch 1x2']:.2f}")
    print(f"nabla 1 process / PyTorch 1 process:    {median['nabla 1x2'] / median['pytorch 1x2']:.2f}  (steps/s; above 1: nabla faster)")
    averaging = statistics.median(x["averaging_ms_per_step"] for x in results["nabla 2x1"])
    print(f"nabla's gradient averaging on rank 0: {averaging:.2f} ms a step (median), "
          f"{results['nabla 2x1'][0]['bytes_per_step']} bytes a step in one all-reduce")


if __name__ == "__main__":
    main()
